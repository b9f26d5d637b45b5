// routeros_traffic — settings (see traffic_options.hpp).
#include "traffic_options.hpp"

#include <algorithm>

#include "routerpulse/routeros/registry.hpp"

namespace routerpulse::routeros_traffic {

namespace {

// Item `i` of a list option, for error locations (a scalar is a one-element list).
YAML::Node item_of(const Options& o, const std::string& key, size_t i, std::string& path) {
  YAML::Node list = o.raw(key);
  path = key + (list.IsSequence() ? "[" + std::to_string(i) + "]" : std::string());
  return list.IsSequence() ? list[i] : list;
}

void check_router_names(const Options& o, const std::vector<std::string>& names) {
  if (names.empty()) throw o.error("routers", "needs at least one router name (or `all`)");
  if (names.size() == 1 && names[0] == "all") return;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string path;
    const YAML::Node item = item_of(o, "routers", i, path);
    if (names[i] == "all") throw o.error_at(item, path, "`all` cannot be combined with router names");
    if (names[i].empty()) throw o.error_at(item, path, "router names must not be empty");
    const auto earlier = names.begin() + static_cast<std::ptrdiff_t>(i);
    if (std::find(names.begin(), earlier, names[i]) != earlier)
      throw o.error_at(item, path, "router \"" + names[i] + "\" is listed twice");
  }
}

}  // namespace

TrafficOptions TrafficOptions::read(const Options& o) {
  TrafficOptions t;
  t.router_names = o.strings("routers");
  check_router_names(o, t.router_names);
  t.users = UserFilter(o);
  t.monitor_traffic = o.boolean("monitor_traffic");
  t.max_monitors = static_cast<size_t>(o.integer("max_monitors"));
  t.max_on_demand = static_cast<size_t>(o.integer("max_on_demand"));
  t.on_demand_ttl = o.duration("on_demand_ttl");
  t.interfaces_per_command = static_cast<size_t>(o.integer("interfaces_per_command"));
  t.reissue_delay = o.duration("reissue_delay");
  t.discovery = o.str("session_discovery") == "poll" ? Discovery::poll : Discovery::listen;
  t.resync_interval = o.duration("resync_interval");
  t.batch_size = static_cast<size_t>(o.integer("batch_size"));
  t.interfaces = o.strings("interfaces");
  for (size_t i = 0; i < t.interfaces.size(); ++i) {
    std::string path;
    const YAML::Node item = item_of(o, "interfaces", i, path);
    if (t.interfaces[i].empty()) throw o.error_at(item, path, "interface globs must not be empty");
  }
  const std::string bits = o.str("counter_bits");
  t.counter_bits = bits == "32" ? CounterBits::bits32 : bits == "64" ? CounterBits::bits64 : CounterBits::automatic;
  t.system = o.boolean("system");
  if (o.has("timeout")) t.timeout = o.duration("timeout");
  t.poll_spread = o.number("poll_spread");
  t.sample_time = o.str("sample_time") == "sender" ? SampleTime::sender : SampleTime::arrival;
  t.queues = QueueOptions::read(o);
  return t;
}

Duration TrafficOptions::gather_timeout(Duration interval) const {
  if (timeout) return *timeout;
  return std::clamp<Duration>(interval, std::chrono::seconds(1), std::chrono::seconds(60));
}

std::vector<std::string> resolve_routers(const Options& o, const TrafficOptions& t,
                                         const routeros::RouterRegistry* registry) {
  const std::string where = o.has("routers") ? "routers" : "";
  if (!registry) throw o.error(where, "this input needs routers, but agent.yaml has no `routers:` section");
  const auto known = registry->names();
  if (t.router_names.size() == 1 && t.router_names[0] == "all") {
    if (known.empty()) throw o.error(where, "`routers: all`, but the `routers:` section is empty");
    return known;
  }
  for (size_t i = 0; i < t.router_names.size(); ++i) {
    if (std::binary_search(known.begin(), known.end(), t.router_names[i])) continue;
    std::string path, list_text;
    const YAML::Node item = item_of(o, "routers", i, path);
    for (const auto& k : known) list_text += (list_text.empty() ? "" : ", ") + k;
    if (list_text.empty()) list_text = "none";
    throw o.error_at(item, path, "unknown router \"" + t.router_names[i] + "\" (routers: " + list_text + ")");
  }
  return t.router_names;
}

}  // namespace routerpulse::routeros_traffic
