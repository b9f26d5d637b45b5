// The prometheus output's in-memory model: the latest value of every series
// `<metric>_<field>{tags}`, grouped into families for the text format 0.0.4.
//
// Threading: every public method takes the store's mutex, so write() (output
// strand) and scrapes (HTTP handler strand) may run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse::prom {

using Clock = std::chrono::steady_clock;

/// What one update() did, for self-metrics.
struct UpdateStats {
  size_t samples = 0;        ///< numeric/bool field values stored
  size_t string_fields = 0;  ///< string fields skipped (Prometheus samples are numbers)
  size_t expired = 0;        ///< series dropped by the sweep this call ran, if any
};

/// How fields become series.
struct StoreOptions {
  Clock::duration expire_after = std::chrono::seconds(60);  ///< zero keeps series forever
  /// Rewrite an abbreviated unit at the end of a field name to the Prometheus
  /// base unit and scale the value: _ns/_us/_ms/_s/_sec/_secs/_h/_d → _seconds,
  /// _b → _bytes (https://prometheus.io/docs/practices/naming/#base-units).
  bool base_units = true;
};

class SeriesStore {
 public:
  explicit SeriesStore(StoreOptions options);

  /// Stores the latest value of every numeric field of every metric, stamped
  /// `now` (arrival time, so router clock skew cannot expire live series).
  /// Also sweeps expired series once every expire_after/2.
  UpdateStats update(const MetricBatch& batch, Clock::time_point now);

  /// Drops series not updated since `now - expire_after`; returns how many.
  size_t expire(Clock::time_point now);

  /// Appends every family (HELP, TYPE, samples) in family-name order.
  void write(std::string& out) const;

  /// Series currently held.
  size_t size() const;

 private:
  using Value = std::variant<int64_t, uint64_t, double>;
  struct Series {
    Value value;
    Clock::time_point updated;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  /// Series of one family keyed by their rendered label set `{a="b",…}` ("" for none).
  using SeriesMap = std::unordered_map<std::string, Series, Hash, std::equal_to<>>;
  struct Family {
    std::string help;
    const char* type;  ///< "counter" | "gauge" | "untyped"; fixed by the first metric
    SeriesMap series;
  };

  void render_labels(const Metric& m);
  size_t expire_locked(Clock::time_point now);

  /// Appends the series name for `field` of `m` to name_buf_; may scale `v`.
  void build_name(const Metric& m, std::string_view field, Value& v);

  mutable std::mutex mu_;
  StoreOptions opt_;
  Clock::time_point last_sweep_;
  std::map<std::string, Family, std::less<>> families_;
  size_t size_ = 0;
  // Scratch buffers reused across update() calls (no allocation per sample
  // once a series exists).
  std::string name_buf_;
  std::string labels_buf_;
  std::vector<std::pair<size_t, size_t>> label_names_;  // offsets into labels_buf_
};

}  // namespace routerpulse::prom
