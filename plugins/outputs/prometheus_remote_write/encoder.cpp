#include "encoder.hpp"

#include <snappy.h>

#include <algorithm>
#include <functional>

#include "prom/series_naming.hpp"
#include "remote_write.pb.h"

namespace routerpulse::remote_write {

namespace {
// A separator that cannot occur inside a label name; values may contain
// anything, so each value is length-prefixed in the signature.
void append_signature(std::string& sig, const std::string& name, const std::string& value) {
  sig += name;
  sig.push_back('\0');
  sig += std::to_string(value.size());
  sig.push_back(':');
  sig += value;
}
}  // namespace

size_t Encoder::KeyHash::operator()(const MetricKey& k) const noexcept {
  size_t h = std::hash<std::string_view>()(k.name);
  h ^= std::hash<const void*>()(k.tags) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h + static_cast<size_t>(k.type) * 0x9e3779b97f4a7c15ULL;
}

Encoder::Encoder(EncoderOptions opt) : opt_(std::move(opt)), req_(std::make_unique<rwpb::WriteRequest>()) {}
Encoder::~Encoder() = default;

Encoder::Entry& Encoder::entry(const Metric& m) {
  probe_.tags = m.tag_set().get();
  probe_.name.assign(m.name());
  probe_.type = static_cast<int>(m.type());
  auto it = entries_.find(probe_);
  if (it == entries_.end()) it = entries_.emplace(probe_, Entry{m.tag_set(), {}}).first;
  return it->second;
}

const Encoder::FieldBinding& Encoder::bind(Entry& e, const Metric& m, const Key& field) {
  for (const auto& b : e.fields)
    if (b.field == field.data()) return b;

  // A miss: the series' labels by the shared mapping, then find it by content.
  Series s;
  std::string name;
  const double factor = prom::append_series_name(name, m.name(), field.view(), m.type(), opt_.base_units);
  std::vector<prom::Label> tags;
  prom::labels_of(tags, m.tags());
  s.labels.reserve(tags.size() + opt_.external_labels.size() + 1);
  s.labels.emplace_back("__name__", std::move(name));
  for (const auto& l : tags) s.labels.emplace_back(l.name, std::string(l.value));
  for (const auto& [k, v] : opt_.external_labels) {  // the series' own label wins, as in Prometheus
    bool present = false;
    for (const auto& l : tags) present = present || l.name == k;
    if (!present && !v.empty()) s.labels.emplace_back(k, v);
  }
  std::sort(s.labels.begin(), s.labels.end());
  std::string sig;
  for (const auto& [k, v] : s.labels) append_signature(sig, k, v);
  auto [at, added] = by_labels_.try_emplace(std::move(sig), static_cast<uint32_t>(series_.size()));
  if (added) series_.push_back(std::move(s));
  ++bindings_;
  e.fields.push_back(FieldBinding{field.data(), at->second, factor});
  return e.fields.back();
}

std::vector<EncodedRequest> Encoder::encode(const BatchView& batch, int64_t now_ns, EncodeStats& stats) {
  if (bindings_ > opt_.max_cached_series) {
    entries_.clear();
    bindings_ = 0;
    by_labels_.clear();
    series_.clear();
  }
  points_.clear();
  for (const Metric& m : batch) {
    int64_t t = m.time() ? m.time() : now_ns;
    const int64_t ms = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
    Entry* e = nullptr;
    for (const Field& f : m.fields()) {
      const auto sample = prom::to_sample(f.value);
      if (!sample) {
        ++stats.string_fields;
        continue;
      }
      if (!e) e = &entry(m);
      const FieldBinding& b = bind(*e, m, f.key);
      const double v = std::visit([](auto x) { return static_cast<double>(x); }, prom::scaled(*sample, b.factor));
      points_.push_back(Point{static_cast<uint32_t>(b.series % opt_.lanes), b.series, ms, v});
    }
  }
  stats.samples += points_.size();
  std::stable_sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    if (a.lane != b.lane) return a.lane < b.lane;
    return a.series != b.series ? a.series < b.series : a.time_ms < b.time_ms;
  });

  std::vector<EncodedRequest> out;
  std::string raw;
  for (size_t i = 0; i < points_.size();) {
    rwpb::WriteRequest* req = req_.get();
    req->Clear();  // keeps the cleared TimeSeries / Label / Sample objects for reuse
    const size_t end = std::min(points_.size(), i + opt_.max_samples_per_send);
    EncodedRequest r;
    r.lane = points_[i].lane;
    rwpb::TimeSeries* ts = nullptr;
    uint32_t current = 0;
    for (; i < end && points_[i].lane == r.lane; ++i) {
      const Point& p = points_[i];
      if (!ts || p.series != current) {
        current = p.series;
        ts = req->add_timeseries();
        ++r.series;
        for (const auto& [k, v] : series_[current].labels) {
          auto* l = ts->add_labels();
          l->set_name(k);
          l->set_value(v);
        }
      }
      auto* s = ts->add_samples();
      s->set_value(p.value);
      s->set_timestamp(p.time_ms);
      ++r.samples;
    }
    raw.clear();
    req->SerializeToString(&raw);
    r.raw_bytes = raw.size();
    snappy::Compress(raw.data(), raw.size(), &r.body);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace routerpulse::remote_write
