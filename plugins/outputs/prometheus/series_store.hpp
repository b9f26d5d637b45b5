// The prometheus output's in-memory model: the latest value of every series
// `<metric>_<field>{tags}`, grouped into families for the text format 0.0.4.
//
// Time is whatever the caller passes as `now` (the output passes
// ctx.clock.steady_now()), so expiry is exact and testable without waiting.
//
// Threading: every public method takes the store's mutex, so write() (output
// strand), the expiry sweep (output strand) and scrapes (HTTP handler strand)
// may run concurrently.
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

#include "routerpulse/clock.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/batch_view.hpp"

namespace routerpulse::prom {

/// A sample value: integers are kept exact (printed without a decimal point),
/// doubles in shortest round-trip form.
using Sample = std::variant<int64_t, uint64_t, double>;

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
  explicit SeriesStore(StoreOptions options);

  /// Stores the latest value of every numeric field of every metric, stamped
  /// `now` (arrival time, so router clock skew cannot expire live series).
  UpdateStats update(const BatchView& batch, SteadyTime now);

  /// Drops series not updated within expire_after before `now` (a series
  /// updated exactly expire_after ago stays); returns how many.
  size_t expire(SteadyTime now);

  /// Appends every family (HELP, TYPE, samples) in family-name order.
  void write(std::string& out) const;

  /// Series currently held.
  size_t size() const;

 private:
  struct Series {
    Sample value;
    SteadyTime updated;
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

  /// Appends the series name for `field` of `m` to name_buf_; returns the
  /// factor that scales the value to the name's unit (1 when unchanged).
  double build_name(const Metric& m, std::string_view field);

  mutable std::mutex mu_;
  StoreOptions opt_;
  std::map<std::string, Family, std::less<>> families_;
  size_t size_ = 0;
  // Scratch buffers reused across update() calls (no allocation per sample
  // once a series exists).
  std::string name_buf_;
  std::string labels_buf_;
  std::vector<std::pair<size_t, size_t>> label_names_;  // offsets into labels_buf_
};

}  // namespace routerpulse::prom
