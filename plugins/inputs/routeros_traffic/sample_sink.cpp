// routeros_traffic — streamed samples on the router's strand (see sample_sink.hpp).
#include "sample_sink.hpp"

#include <algorithm>

#include "metric_builders.hpp"

namespace routerpulse::routeros_traffic {

SampleSink::SampleSink(Deps deps) : d_(std::move(deps)) { protos_.max_load_factor(0.5f); }

void SampleSink::set(const std::string& iface, const Metric& prototype) {
  Metric p(prototype.name(), 0, prototype.type());
  p.set_tag_set(prototype.tag_set());
  std::lock_guard lock(mu_);
  if (!stopped_) protos_.insert_or_assign(iface, std::move(p));
}

void SampleSink::erase(const std::string& iface) {
  std::lock_guard lock(mu_);
  protos_.erase(iface);
}

void SampleSink::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  protos_.clear();
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
    m = it->second;                   // name + one shared TagSet: no tag is copied
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
  if (pending_.empty()) pending_.reserve(std::min<size_t>(d_.batch_size, 1024));
  pending_.push_back(std::move(m));
  if (pending_.size() >= d_.batch_size) read_end();
}

void SampleSink::read_end() {
  if (pending_.empty()) return;
  MetricBatch out;
  out.swap(pending_);
  d_.emit(std::move(out));
}

}  // namespace routerpulse::routeros_traffic
