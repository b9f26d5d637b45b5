// routeros_traffic — streamed samples on the router's strand (see sample_sink.hpp).
#include "sample_sink.hpp"

#include <algorithm>

#include "metric_builders.hpp"
#include "traffic_api.hpp"

namespace routerpulse::routeros_traffic {

SampleSink::SampleSink(Deps deps) : d_(std::move(deps)) { protos_.max_load_factor(0.5f); }

void SampleSink::set(const std::string& iface, const Metric& prototype) {
  Metric p(prototype.name(), 0, prototype.type());
  p.set_tag_set(prototype.tag_set());
  std::lock_guard lock(mu_);
  if (!stopped_) protos_.insert_or_assign(iface, Entry{std::move(p), Metric()});
}

void SampleSink::erase(const std::string& iface) {
  std::lock_guard lock(mu_);
  protos_.erase(iface);
}

void SampleSink::stop() {
  decltype(watchers_) watchers;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    protos_.clear();
    watchers.swap(watchers_);
    watched_.store(0, std::memory_order_relaxed);
  }
  for (auto& [iface, streams] : watchers)
    for (auto& s : streams) s->close();
}

void SampleSink::on_row(const routeros::RowView& row) {
  std::string_view iface;
  if (!row.get("name", iface)) {
    d_.parse_errors.inc();
    return;
  }
  Metric m;
  {
    std::lock_guard lock(mu_);
    auto it = protos_.find(iface);
    if (it == protos_.end()) return;  // a late row of an interface that was just dropped
    m = it->second.proto;             // name + one shared TagSet: no tag is copied
  }
  m.reserve(0, 8);
  const int64_t now = d_.clock.now_ns();
  const SampleInfo info = fill_traffic_sample(m, row);
  if (info.bad_value) d_.parse_errors.inc();
  if (info.sent_ns > 0) {
    if (now >= info.sent_ns) d_.delay.observe(static_cast<double>(now - info.sent_ns) / 1e9);
    m.set_time(d_.sample_time == SampleTime::sender ? info.sent_ns : now);
  } else {
    m.set_time(now);
  }
  d_.samples.inc();
  {
    std::lock_guard lock(mu_);
    if (auto it = protos_.find(iface); it != protos_.end()) it->second.last = m;
  }
  if (watched_.load(std::memory_order_relaxed) > 0) publish(iface, m);
  if (pending_.empty()) pending_.reserve(std::min<size_t>(d_.batch_size, 1024));
  pending_.push_back(std::move(m));
  if (pending_.size() >= d_.batch_size) read_end();
}

std::optional<Metric> SampleSink::latest(const std::string& iface) const {
  std::lock_guard lock(mu_);
  auto it = protos_.find(iface);
  if (it == protos_.end() || it->second.last.time() == 0) return std::nullopt;
  return it->second.last;
}

void SampleSink::watch(const std::string& iface, std::shared_ptr<EventStream> stream) {
  std::lock_guard lock(mu_);
  auto& v = watchers_[iface];
  v.push_back(std::move(stream));
  watched_.store(watchers_.size(), std::memory_order_relaxed);
}

void SampleSink::publish(std::string_view iface, const Metric& m) {
  std::vector<std::shared_ptr<EventStream>> to;
  {
    std::lock_guard lock(mu_);
    auto it = watchers_.find(iface);
    if (it == watchers_.end()) return;
    to = it->second;
  }
  const std::string body = sample_json(m, d_.clock.now_ns());
  bool prune = false;
  for (auto& s : to) prune |= !s->send("sample", body);
  if (!prune) return;
  std::lock_guard lock(mu_);
  auto it = watchers_.find(iface);
  if (it == watchers_.end()) return;
  std::erase_if(it->second, [](const std::shared_ptr<EventStream>& s) { return s->closed(); });
  if (it->second.empty()) watchers_.erase(it);
  watched_.store(watchers_.size(), std::memory_order_relaxed);
}

void SampleSink::read_end() {
  if (pending_.empty()) return;
  MetricBatch out;
  out.swap(pending_);
  d_.emit(std::move(out));
}

}  // namespace routerpulse::routeros_traffic
