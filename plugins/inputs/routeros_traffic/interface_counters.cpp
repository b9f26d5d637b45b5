// routeros_traffic — interface counter polling and rates (see interface_counters.hpp).
#include "interface_counters.hpp"

#include <string_view>

#include "routerpulse/routeros/values.hpp"

namespace routerpulse::routeros_traffic {

namespace {

struct CounterMap {
  std::string_view property;     // RouterOS name
  std::string_view total_field;  // on `interface`
  std::string_view rate_field;   // on `interface_rate`
  double rate_scale;             // bytes → bits
};
constexpr CounterMap kMap[] = {
    {"rx-byte", "rx_bytes", "rx_bits_per_second", 8.0},
    {"tx-byte", "tx_bytes", "tx_bits_per_second", 8.0},
    {"rx-packet", "rx_packets", "rx_packets_per_second", 1.0},
    {"tx-packet", "tx_packets", "tx_packets_per_second", 1.0},
    {"rx-error", "rx_errors", "rx_errors_per_second", 1.0},
    {"tx-error", "tx_errors", "tx_errors_per_second", 1.0},
    {"rx-drop", "rx_drops", "rx_drops_per_second", 1.0},
    {"tx-drop", "tx_drops", "tx_drops_per_second", 1.0},
};
static_assert(std::size(kMap) == 8);

}  // namespace

InterfaceCounters::InterfaceCounters(const std::vector<std::string>& globs, CounterBits bits)
    : globs_(globs), bits_(bits) {}

routeros::Command InterfaceCounters::command() {
  std::vector<std::string> props{".id", "name", "type", "running"};
  for (const auto& c : kMap) props.emplace_back(c.property);
  return routeros::Command("/interface/print").attr("stats").proplist(props);
}

InterfaceCounters::PollStats InterfaceCounters::process(const std::string& router,
                                                        const std::vector<routeros::Reply>& rows, int64_t steady_now,
                                                        int64_t time_ns, bool router_restarted, MetricBatch& out) {
  PollStats ps;
  ++round_;
  for (const auto& row : rows) {
    const std::string* name = row.get("name");
    if (!name || !globs_.matches(*name)) continue;
    ++ps.matched;
    State& st = state_[*name];
    const std::string id = row.get_or(".id");
    const bool recreated = !st.id.empty() && st.id != id;
    st.id = id;
    st.seen_round = round_;

    // One shared tag set per interface, rebuilt only when its type changes:
    // a poll of 2,000 interfaces builds no tags after the first.
    const std::string* type = row.get("type");
    if (!st.tags || (type ? *type : std::string()) != st.type) {
      st.type = type ? *type : std::string();
      TagList tags{{"router", router}, {"interface", *name}};
      if (type) tags.emplace_back("type", *type);
      st.tags = make_tag_set(std::move(tags));
    }
    Metric totals("interface", time_ns, MetricType::counter);
    Metric rates("interface_rate", time_ns, MetricType::gauge);
    totals.set_tag_set(st.tags);
    rates.set_tag_set(st.tags);
    if (const std::string* running = row.get("running")) {
      if (auto b = routeros::parse_ros_bool(*running))
        rates.set_field("running", *b);
      else
        ++ps.bad_values;
    }
    for (size_t k = 0; k < kCounters; ++k) {
      const std::string* text = row.get(kMap[k].property);
      if (!text) continue;
      auto value = routeros::parse_ros_uint(*text);
      if (!value) {
        ++ps.bad_values;
        continue;
      }
      totals.set_field(kMap[k].total_field, *value);
      const CounterSample cur{*value, steady_now};
      const CounterDelta d = counter_delta(st.prev[k], cur, bits_, recreated || router_restarted);
      st.prev[k] = cur;
      if (d.event == CounterEvent::reset) ++ps.resets;
      if (d.event == CounterEvent::wrap32 || d.event == CounterEvent::wrap64) ++ps.wraps;
      if (d.per_second) rates.set_field(kMap[k].rate_field, *d.per_second * kMap[k].rate_scale);
    }
    if (!totals.fields().empty()) out.push_back(std::move(totals));
    if (!rates.fields().empty()) out.push_back(std::move(rates));
  }
  std::erase_if(state_, [this](const auto& kv) { return kv.second.seen_round != round_; });
  return ps;
}

}  // namespace routerpulse::routeros_traffic
