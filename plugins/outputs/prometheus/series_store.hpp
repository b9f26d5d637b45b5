// The prometheus output's in-memory model: the latest value of every series
// `<metric>_<field>{tags}`, grouped into families for the text format 0.0.4.
//
// Time is whatever the caller passes as `now` (the output passes
// ctx.clock.steady_now()), so expiry is exact and testable without waiting.
//
// Cost model (the hot path is update() for series that already exist):
//  - A series cache maps a metric's TagSet pointer to a TagEntry that HOLDS
//    the TagSet (so the address cannot be reused while cached), the label set
//    rendered once, and a few bindings (metric name, type, field Key) →
//    series slot with its base-unit factor. A steady-state sample is one hash
//    lookup per metric (by pointer, PtrTable), a short scan of the entry's
//    bindings (Key pointer compare first) and a store into the slot: no
//    string is rendered, hashed or allocated. update() works through the batch
//    in blocks of kBlock metrics and prefetches each stage (table slot, entry,
//    bindings, series) for the whole block before the next, so the cache
//    misses of a block overlap instead of queueing one after another.
//  - There is at most one TagEntry per label text (index by_labels_), and
//    every series is bound from the entry with its labels. A new TagSet is a
//    miss: its labels are rendered once and looked up; when an entry with the
//    same labels exists (an input that builds new tag lists every round, or
//    tags that render alike) the new TagSet takes that entry's bindings over
//    wholesale and the old TagSet is released. So the cache never holds more
//    entries than label sets in use, and a new TagSet costs one label render
//    and one hash lookup, not a lookup per field. A new (metric, field) in an
//    entry builds the series name and finds or creates the series.
//  - Expiring a series unbinds it; a TagEntry without bindings is dropped and
//    its TagSet released.
//
// Ownership: the store owns every series, family and cache entry; an entry
// holds one reference to its TagSet until its last series expires (with
// expire_after 0, for the life of the store). Nothing points into a batch
// after update() returns.
//
// Threading: every public method is thread-safe. update() (the output's
// write(), output strand), expire() (the sweep on the output strand, and each
// scrape) and write(out) (the scrape, HTTP handler strand) may run
// concurrently. One mutex guards the store; update() holds it for one batch,
// write(out) and expire() only for chunks of kRenderChunk / kExpireChunk
// series, and write(out) formats into a private buffer that it appends to
// `out` outside the lock, so a scrape of a million series stalls a concurrent
// update() for at most one chunk, not for the whole scrape. A render is consistent: every family header at most
// once, in name order, each series at most once, under its family; it shows
// the series that existed when it started and are still there when it
// reaches them, each with the latest value at that moment (series created
// after it started are left for the next scrape).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "routerpulse/batch_view.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/metric.hpp"
#include "prom/series_naming.hpp"
#include "tag_table.hpp"

namespace routerpulse::prom {

/// What one update() did, for self-metrics.
struct UpdateStats {
  size_t samples = 0;        ///< numeric/bool field values stored
  size_t string_fields = 0;  ///< string fields skipped (Prometheus samples are numbers)
};

/// How fields become series.
struct StoreOptions {
  Duration expire_after{0};  ///< zero keeps series forever
  /// Rewrite an abbreviated unit at the end of a field name to the Prometheus
  /// base unit and scale the value: _ns/_us/_ms/_s/_sec/_secs/_h/_d → _seconds,
  /// _b → _bytes (https://prometheus.io/docs/practices/naming/#base-units).
  bool base_units = true;
};

class SeriesStore {
 public:
  /// Series rendered per lock hold in write(out).
  static constexpr size_t kRenderChunk = 1024;
  /// Series slots examined per lock hold in expire().
  static constexpr size_t kExpireChunk = 8192;
  /// Metrics whose cache lookups update() overlaps.
  static constexpr size_t kBlock = 16;

  explicit SeriesStore(StoreOptions options);
  ~SeriesStore();
  SeriesStore(const SeriesStore&) = delete;
  SeriesStore& operator=(const SeriesStore&) = delete;

  /// Stores the latest value of every numeric field of every metric, stamped
  /// `now` (arrival time, so router clock skew cannot expire live series).
  UpdateStats update(const BatchView& batch, SteadyTime now);

  /// Drops series not updated within expire_after before `now` (a series
  /// updated exactly expire_after ago stays); returns how many.
  size_t expire(SteadyTime now);

  /// Appends every family (HELP, TYPE, samples) in family-name order; see the
  /// threading note above for what a render concurrent with writes shows.
  void write(std::string& out) const;

  /// Series currently held (lock-free).
  size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// TagSets currently held by the series cache (tests).
  size_t cached_tag_sets() const;

 private:
  struct TagEntry;
  struct Family;

  /// One series slot. Slots live in their family's deque and never move;
  /// a freed slot (expired series) is reused by the next new series.
  struct Series {
    Sample value;
    SteadyTime updated;
    uint64_t born = 0;          ///< epoch_ when created (renders started since skip it)
    TagEntry* owner = nullptr;  ///< the cache entry that binds this series (live ones)
    Family* family = nullptr;
    bool live = false;
    /// Rendered `{a="b",…}`, "" for none; shared with the owner (one copy
    /// per label set, not per series).
    std::shared_ptr<const std::string> labels;
  };

  /// One family `# HELP/# TYPE name` and its series.
  struct Family {
    std::string help;
    const char* type;  ///< "counter" | "gauge" | "untyped"; fixed by the first metric
    uint64_t born = 0;
    std::deque<Series> slots;
    std::vector<uint32_t> free;  ///< indices of dead slots
    size_t live = 0;
  };
  using Families = std::map<std::string, std::unique_ptr<Family>, std::less<>>;

  /// (metric name, type, field) of metrics with one TagSet → their series.
  struct Binding {
    Key field;
    MetricType type;
    double factor;  ///< base-unit scaling
    Series* series;
    std::string metric;
  };

  /// The cache entry of one TagSet and label set (see the cost model above).
  struct TagEntry {
    TagSet tags;  ///< held: its address is the cache key
    std::vector<Binding> bindings;
    std::shared_ptr<const std::string> labels;  ///< the key in by_labels_
  };

  /// The cache entry of `m`'s TagSet on a miss: the entry with the same
  /// labels re-keyed to this TagSet, or a new one. Requires mu_.
  TagEntry& entry(const Metric& m);
  /// A new binding in `e`: finds or creates the series of field `field` of
  /// `m`. Requires mu_.
  Binding& bind(TagEntry& e, const Metric& m, const Key& field, SteadyTime now);
  /// Removes every binding of `s` from its owner (dropping the owner when it
  /// has none left). Requires mu_.
  void unbind(Series& s);
  /// Removes an entry from both indexes (releasing its TagSet). Requires mu_.
  void drop(TagEntry& e);
  /// Frees slot `i` of `fam`. Requires mu_.
  void free_slot(Family& fam, uint32_t i);

  mutable std::mutex mu_;
  const StoreOptions opt_;
  Families families_;
  PtrTable<TagEntry> cache_;  ///< key: TagSet address (null: no tags); owns the entries
  std::unordered_map<std::string_view, TagEntry*> by_labels_;  ///< key: *entry->labels
  std::atomic<size_t> size_{0};
  /// Advanced by every render; a series or family created at epoch e is
  /// rendered only by renders that started after it (their epoch > e).
  mutable uint64_t epoch_ = 1;
  std::string name_buf_;  ///< scratch for bind()
};

}  // namespace routerpulse::prom
