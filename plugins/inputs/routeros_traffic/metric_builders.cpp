// routeros_traffic — reply → metric conversion (see metric_builders.hpp).
#include "metric_builders.hpp"

#include <cmath>
#include <string_view>

#include "routerpulse/routeros/values.hpp"

namespace routerpulse::routeros_traffic {

namespace {

// RouterOS property → field (customer's direction, see the header), in
// field-key order so that set_field appends.
struct RateMap {
  std::string_view property;
  std::string_view field;
};
constexpr RateMap kRates[] = {
    {"tx-bits-per-second", "download_bits_per_second"},       {"tx-drops-per-second", "download_drops_per_second"},
    {"tx-errors-per-second", "download_errors_per_second"},   {"tx-packets-per-second", "download_packets_per_second"},
    {"rx-bits-per-second", "upload_bits_per_second"},         {"rx-drops-per-second", "upload_drops_per_second"},
    {"rx-errors-per-second", "upload_errors_per_second"},     {"rx-packets-per-second", "upload_packets_per_second"},
};

// The field keys, interned once.
const Key* rate_keys() {
  static const auto* keys = [] {
    auto* k = new Key[std::size(kRates)];
    for (size_t i = 0; i < std::size(kRates); ++i) k[i] = Key(kRates[i].field);
    return k;
  }();
  return keys;
}

bool to_u64(std::string_view text, uint64_t& out) {
  if (auto u = routeros::parse_ros_uint(text)) {
    out = *u;
    return true;
  }
  auto d = routeros::parse_ros_number(text);
  if (!d || !std::isfinite(*d) || *d < 0 || *d > 1.8e19) return false;
  out = static_cast<uint64_t>(std::llround(*d));
  return true;
}

void set_if(Metric& m, std::string_view field, const std::string* value) {
  if (value && !value->empty()) m.set_field(field, *value);
}

}  // namespace

const std::vector<std::string>& monitor_traffic_proplist() {
  static const std::vector<std::string> props = [] {
    std::vector<std::string> p{"name"};
    for (const auto& r : kRates) p.emplace_back(r.property);
    return p;
  }();
  return props;
}

Metric pppoe_traffic_prototype(const std::string& router, const PppoeSession& s) {
  Metric m("pppoe_traffic", 0, MetricType::gauge);
  m.reserve(4, std::size(kRates));
  if (!s.caller_id.empty()) m.set_tag("caller_id", s.caller_id);
  m.set_tag("interface", s.interface);
  m.set_tag("pppoe_user", s.user);
  m.set_tag("router", router);
  return m;
}

namespace {

// One attribute of a monitor-traffic row.
void take_attribute(Metric& m, std::string_view key, std::string_view value, SampleInfo& info) {
  if (key.size() > 14 && key.ends_with("-per-second")) {
    const Key* keys = rate_keys();
    for (size_t i = 0; i < std::size(kRates); ++i) {
      if (key != kRates[i].property) continue;
      uint64_t v = 0;
      if (to_u64(value, v))
        m.set_field(keys[i], v);
      else
        info.bad_value = true;
      break;
    }
  } else if (key == ".sim-sent-ns") {
    if (auto v = routeros::parse_ros_int(value)) info.sent_ns = *v;
  }
}

}  // namespace

SampleInfo fill_traffic_sample(Metric& m, const routeros::Reply& r) {
  SampleInfo info;
  for (const auto& [key, value] : r.attributes) take_attribute(m, key, value, info);
  return info;
}

SampleInfo fill_traffic_sample(Metric& m, const routeros::RowView& r) {
  SampleInfo info;
  r.for_each_attribute([&](std::string_view key, std::string_view value) { take_attribute(m, key, value, info); });
  return info;
}

Metric pppoe_session_metric(const std::string& router, const PppoeSession& s, bool monitored, SteadyTime now,
                            int64_t time_ns) {
  Metric m("pppoe_session", time_ns, MetricType::gauge);
  m.reserve(4, 5);
  if (!s.caller_id.empty()) m.set_tag("caller_id", s.caller_id);
  m.set_tag("interface", s.interface);
  m.set_tag("pppoe_user", s.user);
  m.set_tag("router", router);
  if (!s.address.empty()) m.set_field("address", s.address);
  if (!s.encoding.empty()) m.set_field("encoding", s.encoding);
  m.set_field("monitored", monitored);
  if (!s.session_id.empty()) m.set_field("session_id", s.session_id);
  m.set_field("uptime_seconds", s.uptime_at(now));
  return m;
}

Metric routeros_system_metric(const std::string& router, const routeros::Reply& resource,
                              const routeros::Reply* identity, int64_t time_ns, SystemInfo& info, int& bad_values) {
  Metric m("routeros_system", time_ns, MetricType::gauge);
  m.set_tag("router", router);
  m.set_field("up", true);
  auto number = [&](std::string_view property, std::string_view field) {
    const std::string* v = resource.get(property);
    if (!v) return;
    uint64_t u = 0;
    if (to_u64(*v, u))
      m.set_field(field, u);
    else
      ++bad_values;
  };
  number("cpu-load", "cpu_load_percent");
  number("free-memory", "free_memory_bytes");
  number("total-memory", "total_memory_bytes");
  number("free-hdd-space", "free_hdd_bytes");
  number("total-hdd-space", "total_hdd_bytes");
  if (const std::string* up = resource.get("uptime")) {
    if (auto secs = routeros::parse_ros_duration_seconds(*up)) {
      m.set_field("uptime_seconds", static_cast<int64_t>(*secs));
      info.uptime_seconds = *secs;
    } else {
      ++bad_values;
    }
  }
  set_if(m, "version", resource.get("version"));
  set_if(m, "board_name", resource.get("board-name"));
  if (identity) set_if(m, "identity", identity->get("name"));
  return m;
}

Metric routeros_system_down(const std::string& router, int64_t time_ns) {
  Metric m("routeros_system", time_ns, MetricType::gauge);
  m.set_tag("router", router);
  m.set_field("up", false);
  return m;
}

}  // namespace routerpulse::routeros_traffic
