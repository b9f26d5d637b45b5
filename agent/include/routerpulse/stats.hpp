// routerpulse — the agent's self-metrics registry.
//
// Every component registers named counters, gauges and histograms here. The
// registry is exposed on `/metrics` (Prometheus text format 0.0.4, names
// prefixed `routerpulse_`) and by the `internal` input as metrics named
// `internal_<subsystem>`.
//
// Threading: registration takes a mutex; the returned Counter/Gauge/Histogram
// references stay valid for the registry's lifetime and are updated lock-free
// (atomics), so hot paths may keep them. Series are never removed; a component
// recreated by a reload finds its old series again (same subsystem/name/labels).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count.
class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

/// A value that goes up and down.
class Gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept;
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

/// A cumulative histogram with fixed upper bounds (seconds, bytes, …).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Non-cumulative count per bucket (size bounds()+1, last is +Inf).
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  /// Approximate quantile (0..1) by linear interpolation inside the bucket.
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

/// Default latency buckets in seconds: 100µs … 30s.
const std::vector<double>& latency_buckets();

/// Registering a name that exists with another kind (counter vs gauge) — a
/// plugin bug, reported with the metric's full name.
class SelfMetricsError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The registry. `subsystem` groups series (`output`, `input`, `routeros`,
/// `agent`); `name` is the metric inside it without unit suffix conventions
/// applied (the caller names it `metrics_written_total`, `write_latency_seconds`).
class SelfMetrics {
 public:
  /// Each throws SelfMetricsError when `subsystem_name` exists with another kind.
  Counter& counter(const std::string& subsystem, const std::string& name, const std::string& help, Labels labels = {});
  Gauge& gauge(const std::string& subsystem, const std::string& name, const std::string& help, Labels labels = {});
  Histogram& histogram(const std::string& subsystem, const std::string& name, const std::string& help,
                       Labels labels = {}, const std::vector<double>& bounds = latency_buckets());

  /// Appends every series in Prometheus text exposition format 0.0.4 with
  /// HELP/TYPE lines; metric names are `routerpulse_<subsystem>_<name>`.
  void write_prometheus(std::string& out) const;

  /// One metric per (subsystem, label set): name `internal_<subsystem>`, tags
  /// from the labels, one field per series (counters as uint64 with the
  /// `_total` suffix stripped, gauges as double, histograms as
  /// `<name>_count`, `<name>_sum`, `<name>_p50`, `<name>_p99`).
  MetricBatch snapshot(int64_t time_ns) const;

 private:
  enum class Kind { counter, gauge, histogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string subsystem, name, help;
    Kind kind;
    std::deque<Series> series;
  };
  Family& family(const std::string& subsystem, const std::string& name, const std::string& help, Kind kind);
  static Series* find(Family& f, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // key: subsystem_name
};

/// Self-metrics scoped to one component: every series is named
/// `routerpulse_<subsystem>_<name>` and carries the scope's labels first.
///
/// Naming scheme (docs/ARCHITECTURE.md, "Self-metrics"): a plugin's own
/// series use the plugin name as subsystem (`routerpulse_redis_stream_…`);
/// the engine's per-component series use the kind (`routerpulse_output_…`).
/// Labels identify the instance: `input="<id>"`, `output="<id>"`, or
/// `processor="<id>", pipeline="<name>"` (one processor instance per pipeline).
/// Copyable; references returned stay valid for the registry's lifetime.
class SelfMetricsScope {
 public:
  SelfMetricsScope(SelfMetrics& registry, std::string subsystem, Labels base);

  /// Throw SelfMetricsError on a kind conflict (see SelfMetrics).
  Counter& counter(const std::string& name, const std::string& help, Labels extra = {}) const;
  Gauge& gauge(const std::string& name, const std::string& help, Labels extra = {}) const;
  Histogram& histogram(const std::string& name, const std::string& help, Labels extra = {},
                       const std::vector<double>& bounds = latency_buckets()) const;

  /// The same labels under another subsystem.
  SelfMetricsScope subsystem(std::string sub) const;
  /// The scope's labels followed by `extra`.
  Labels labels(Labels extra = {}) const;
  const Labels& base_labels() const noexcept { return base_; }
  /// The whole process registry (read side: the `internal` input, /metrics).
  SelfMetrics& registry() const noexcept { return *registry_; }

 private:
  SelfMetrics* registry_;
  std::string subsystem_;
  Labels base_;
};

}  // namespace routerpulse
