#include "routerpulse/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "routerpulse/exposition.hpp"

namespace routerpulse {

void Gauge::add(double d) noexcept {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double Histogram::quantile(double q) const {
  auto counts = bucket_counts();
  uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0;
  double rank = q * static_cast<double>(total);
  uint64_t cum = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (static_cast<double>(cum + counts[i]) >= rank) {
      if (i == bounds_.size()) return bounds_.empty() ? 0 : bounds_.back();
      double lo = i == 0 ? 0 : bounds_[i - 1];
      double hi = bounds_[i];
      double frac = (rank - static_cast<double>(cum)) / static_cast<double>(counts[i]);
      return lo + (hi - lo) * std::clamp(frac, 0.0, 1.0);
    }
    cum += counts[i];
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return b;
}

SelfMetrics::Family& SelfMetrics::family(const std::string& subsystem, const std::string& name, const std::string& help,
                                         Kind kind) {
  auto key = subsystem + "_" + name;
  auto it = families_.find(key);
  if (it == families_.end()) {
    it = families_.emplace(key, Family{subsystem, name, help, kind, {}}).first;
  } else if (it->second.kind != kind) {
    static const char* names[] = {"counter", "gauge", "histogram"};
    throw SelfMetricsError("self-metric routerpulse_" + key + " is already registered as a " +
                           names[static_cast<int>(it->second.kind)] + "; cannot register it as a " +
                           names[static_cast<int>(kind)]);
  }
  return it->second;
}

SelfMetrics::Series* SelfMetrics::find(Family& f, const Labels& labels) {
  for (auto& s : f.series)
    if (s.labels == labels) return &s;
  return nullptr;
}

Counter& SelfMetrics::counter(const std::string& subsystem, const std::string& name, const std::string& help,
                              Labels labels) {
  std::lock_guard lk(mu_);
  auto& f = family(subsystem, name, help, Kind::counter);
  if (auto* s = find(f, labels)) return *s->counter;
  f.series.push_back(Series{std::move(labels), std::make_unique<Counter>(), nullptr, nullptr});
  return *f.series.back().counter;
}

Gauge& SelfMetrics::gauge(const std::string& subsystem, const std::string& name, const std::string& help,
                          Labels labels) {
  std::lock_guard lk(mu_);
  auto& f = family(subsystem, name, help, Kind::gauge);
  if (auto* s = find(f, labels)) return *s->gauge;
  f.series.push_back(Series{std::move(labels), nullptr, std::make_unique<Gauge>(), nullptr});
  return *f.series.back().gauge;
}

Histogram& SelfMetrics::histogram(const std::string& subsystem, const std::string& name, const std::string& help,
                                  Labels labels, const std::vector<double>& bounds) {
  std::lock_guard lk(mu_);
  auto& f = family(subsystem, name, help, Kind::histogram);
  if (auto* s = find(f, labels)) return *s->histogram;
  f.series.push_back(Series{std::move(labels), nullptr, nullptr, std::make_unique<Histogram>(bounds)});
  return *f.series.back().histogram;
}

SelfMetricsScope::SelfMetricsScope(SelfMetrics& registry, std::string subsystem, Labels base)
    : registry_(&registry), subsystem_(std::move(subsystem)), base_(std::move(base)) {}

Labels SelfMetricsScope::labels(Labels extra) const {
  Labels l = base_;
  for (auto& kv : extra) l.push_back(std::move(kv));
  return l;
}

Counter& SelfMetricsScope::counter(const std::string& name, const std::string& help, Labels extra) const {
  return registry_->counter(subsystem_, name, help, labels(std::move(extra)));
}

Gauge& SelfMetricsScope::gauge(const std::string& name, const std::string& help, Labels extra) const {
  return registry_->gauge(subsystem_, name, help, labels(std::move(extra)));
}

Histogram& SelfMetricsScope::histogram(const std::string& name, const std::string& help, Labels extra,
                                       const std::vector<double>& bounds) const {
  return registry_->histogram(subsystem_, name, help, labels(std::move(extra)), bounds);
}

SelfMetricsScope SelfMetricsScope::subsystem(std::string sub) const { return {*registry_, std::move(sub), base_}; }

namespace {

// `{k="v",...[,extra_key="extra_value"]}`; nothing when there are no labels.
void append_labels(std::string& out, const Labels& labels, const char* extra_key = nullptr, double extra_value = 0) {
  if (labels.empty() && !extra_key) return;
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    exposition::append_label_name(out, k);
    out += "=\"";
    exposition::append_label_value(out, v);
    out.push_back('"');
  }
  if (extra_key) {
    if (!first) out.push_back(',');
    out += extra_key;
    out += "=\"";
    exposition::append_value(out, extra_value);
    out.push_back('"');
  }
  out.push_back('}');
}

}  // namespace

void SelfMetrics::write_prometheus(std::string& out) const {
  std::lock_guard lk(mu_);
  for (const auto& [key, f] : families_) {
    std::string full = "routerpulse_";
    exposition::append_metric_name(full, key, false);
    exposition::append_family_header(out, full, f.help,
                                     f.kind == Kind::counter ? "counter"
                                     : f.kind == Kind::gauge ? "gauge"
                                                             : "histogram");
    for (const auto& s : f.series) {
      if (f.kind == Kind::counter) {
        out += full;
        append_labels(out, s.labels);
        out.push_back(' ');
        exposition::append_value(out, s.counter->value());
        out.push_back('\n');
      } else if (f.kind == Kind::gauge) {
        out += full;
        append_labels(out, s.labels);
        out.push_back(' ');
        exposition::append_value(out, s.gauge->value());
        out.push_back('\n');
      } else {
        auto counts = s.histogram->bucket_counts();
        uint64_t cum = 0;
        const auto& b = s.histogram->bounds();
        for (size_t i = 0; i < counts.size(); ++i) {
          cum += counts[i];
          out += full + "_bucket";
          append_labels(out, s.labels, "le", i < b.size() ? b[i] : std::numeric_limits<double>::infinity());
          out.push_back(' ');
          exposition::append_value(out, cum);
          out.push_back('\n');
        }
        out += full + "_sum";
        append_labels(out, s.labels);
        out.push_back(' ');
        exposition::append_value(out, s.histogram->sum());
        out.push_back('\n');
        out += full + "_count";
        append_labels(out, s.labels);
        out.push_back(' ');
        exposition::append_value(out, s.histogram->count());
        out.push_back('\n');
      }
    }
  }
}

MetricBatch SelfMetrics::snapshot(int64_t time_ns) const {
  std::lock_guard lk(mu_);
  std::map<std::pair<std::string, Labels>, Metric> grouped;
  for (const auto& [key, f] : families_) {
    for (const auto& s : f.series) {
      auto& m = grouped[{f.subsystem, s.labels}];
      if (m.name().empty()) {
        m = Metric("internal_" + f.subsystem, time_ns);
        for (const auto& [k, v] : s.labels) m.set_tag(k, v);
      }
      std::string field = f.name;
      if (f.kind == Kind::counter) {
        if (field.size() > 6 && field.compare(field.size() - 6, 6, "_total") == 0) field.resize(field.size() - 6);
        m.set_field(field, s.counter->value());
      } else if (f.kind == Kind::gauge) {
        m.set_field(field, s.gauge->value());
      } else {
        m.set_field(field + "_count", s.histogram->count());
        m.set_field(field + "_sum", s.histogram->sum());
        m.set_field(field + "_p50", s.histogram->quantile(0.5));
        m.set_field(field + "_p99", s.histogram->quantile(0.99));
      }
    }
  }
  MetricBatch out;
  out.reserve(grouped.size());
  for (auto& [k, m] : grouped) out.push_back(std::move(m));
  return out;
}

}  // namespace routerpulse
