// routeros_traffic — option parsing and validation (see traffic_options.hpp).
#include "traffic_options.hpp"

#include <algorithm>

#include "routerpulse/plugin.hpp"
#include "routerpulse/routeros/registry.hpp"

namespace routerpulse::routeros_traffic {

Duration TrafficOptions::gather_timeout(Duration interval) const {
  if (timeout > Duration::zero()) return timeout;
  const Duration half = interval / 2;
  return std::clamp<Duration>(half, std::chrono::milliseconds(100), std::chrono::seconds(10));
}

namespace {

std::vector<std::string> resolve_routers(const Options& o, const PluginContext& ctx) {
  const bool given = o.has("routers");
  std::vector<std::string> names = o.get_string_list("routers", {"all"});
  if (!ctx.routers)
    throw o.error(given ? "routers" : "",
                  "this input needs routers, but agent.yaml has no `routers:` section");
  const auto known = ctx.routers->names();
  if (names.size() == 1 && names[0] == "all") {
    if (known.empty()) throw o.error(given ? "routers" : "", "`routers: all`, but the `routers:` section is empty");
    return known;
  }
  if (names.empty()) throw o.error("routers", "needs at least one router name (or `all`)");
  YAML::Node list = o.raw("routers");
  for (size_t i = 0; i < names.size(); ++i) {
    const YAML::Node item = list.IsSequence() ? list[i] : list;
    const std::string path = "routers" + (list.IsSequence() ? "[" + std::to_string(i) + "]" : std::string());
    if (names[i] == "all") throw o.error_at(item, path, "`all` cannot be combined with router names");
    if (!std::binary_search(known.begin(), known.end(), names[i])) {
      std::string list_text;
      for (const auto& k : known) list_text += (list_text.empty() ? "" : ", ") + k;
      throw o.error_at(item, path, "unknown router \"" + names[i] + "\" (routers: " + list_text + ")");
    }
    if (std::count(names.begin(), names.end(), names[i]) > 1)
      throw o.error_at(item, path, "router \"" + names[i] + "\" is listed twice");
  }
  return names;
}

Duration positive_duration(const Options& o, const std::string& key, Duration def, bool allow_zero) {
  Duration d = o.get_duration(key, def);
  if (d < Duration::zero() || (!allow_zero && d == Duration::zero()))
    throw o.error(key, allow_zero ? "must not be negative" : "must be greater than 0");
  return d;
}

}  // namespace

TrafficOptions parse_options(const Options& o, const PluginContext& ctx) {
  TrafficOptions t;
  t.routers = resolve_routers(o, ctx);
  t.users = UserFilter(o);
  t.monitor_traffic = o.get_bool("monitor_traffic", true);
  t.max_monitors = static_cast<size_t>(o.get_int("max_monitors", 5000, 0, 1000000));
  // RouterOS accepts long interface lists, but one `!trap` or re-issue hits
  // the whole group; 1000 keeps the command word well below any sane limit.
  t.interfaces_per_command = static_cast<size_t>(o.get_int("interfaces_per_command", 100, 1, 1000));
  t.reissue_delay = positive_duration(o, "reissue_delay", t.reissue_delay, true);
  t.discovery = o.get_enum("session_discovery", "listen", {"listen", "poll"}) == "poll" ? Discovery::poll
                                                                                        : Discovery::listen;
  t.resync_interval = positive_duration(o, "resync_interval", t.resync_interval, true);
  t.flush_interval = positive_duration(o, "flush_interval", t.flush_interval, false);
  t.batch_size = static_cast<size_t>(o.get_int("batch_size", 5000, 1, 10000000));
  t.interfaces = o.get_string_list("interfaces", {});
  for (const auto& g : t.interfaces)
    if (g.empty()) throw o.error("interfaces", "interface globs must not be empty");
  const std::string bits = o.get_enum("counter_bits", "auto", {"auto", "32", "64"});
  t.counter_bits = bits == "32" ? CounterBits::bits32 : bits == "64" ? CounterBits::bits64 : CounterBits::automatic;
  t.system = o.get_bool("system", true);
  t.timeout = positive_duration(o, "timeout", Duration::zero(), true);
  t.sample_time = o.get_enum("sample_time", "arrival", {"arrival", "sender"}) == "sender" ? SampleTime::sender
                                                                                         : SampleTime::arrival;
  return t;
}

}  // namespace routerpulse::routeros_traffic
