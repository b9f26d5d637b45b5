// routeros-sim — scenario loading and validation.
#include "scenario.hpp"

#include <cstdlib>
#include <set>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace routeros_sim {

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

double to_double(const std::string& v, const std::string& what) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || d < 0)
    throw std::runtime_error(what + ": expected a non-negative number, got \"" + v + "\"");
  return d;
}

const std::set<std::string> kModes{"none", "drop", "stall", "slow", "fatal", "garbage", "down"};

FaultSpec fault_from_yaml(const YAML::Node& n, const std::string& where) {
  FaultSpec f;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first, value = it->second;
    const auto k = key.as<std::string>();
    const auto v = value.as<std::string>();
    if (k == "router")
      f.router = v == "all" ? -1 : std::stoi(v);
    else if (k == "mode")
      f.mode = v;
    else if (k == "delay_ms")
      f.delay_ms = static_cast<int>(to_double(v, where + ".delay_ms"));
    else if (k == "every")
      f.every_s = to_double(v, where + ".every");
    else if (k == "after")
      f.after_s = to_double(v, where + ".after");
    else
      throw std::runtime_error(where + "." + k + ": unknown fault key (router, mode, delay_ms, every, after)");
  }
  if (!kModes.count(f.mode)) throw std::runtime_error(where + ".mode: unknown fault mode \"" + f.mode + "\"");
  return f;
}
}  // namespace

FaultSpec parse_fault(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3)
    throw std::runtime_error("--fault \"" + text + "\": expected ROUTER:MODE[:key=value,...]");
  FaultSpec f;
  try {
    f.router = parts[0] == "all" ? -1 : std::stoi(parts[0]);
  } catch (const std::exception&) {
    throw std::runtime_error("--fault \"" + text + "\": router must be a number or all");
  }
  f.mode = parts[1];
  if (!kModes.count(f.mode)) throw std::runtime_error("--fault \"" + text + "\": unknown mode " + f.mode);
  if (parts.size() == 3) {
    for (const auto& kv : split(parts[2], ',')) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw std::runtime_error("--fault \"" + text + "\": expected key=value");
      auto k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (k == "delay" || k == "delay_ms")
        f.delay_ms = static_cast<int>(to_double(v, k));
      else if (k == "every")
        f.every_s = to_double(v, k);
      else if (k == "after")
        f.after_s = to_double(v, k);
      else
        throw std::runtime_error("--fault \"" + text + "\": unknown key " + k + " (delay, every, after)");
    }
  }
  return f;
}

void load_scenario_file(const std::string& path, Scenario& s) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (!root.IsMap()) throw std::runtime_error(path + ": expected a map of scenario keys");
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node v = it->second;
    const auto k = key.as<std::string>();
    const auto where = path + ": " + k;
    try {
      if (k == "bind")
        s.bind = v.as<std::string>();
      else if (k == "routers")
        s.routers = v.as<int>();
      else if (k == "base_port")
        s.base_port = v.as<int>();
      else if (k == "control_port")
        s.control_port = v.as<int>();
      else if (k == "sessions")
        s.sessions = v.as<int>();
      else if (k == "spare_users")
        s.spare_users = v.as<int>();
      else if (k == "churn_per_min")
        s.churn_per_min = v.as<double>();
      else if (k == "interval")
        s.interval_s = v.as<double>();
      else if (k == "username")
        s.username = v.as<std::string>();
      else if (k == "password")
        s.password = v.as<std::string>();
      else if (k == "legacy_login")
        s.legacy_login = v.as<bool>();
      else if (k == "empty_replies")
        s.empty_replies = v.as<bool>();
      else if (k == "seed")
        s.seed = v.as<uint64_t>();
      else if (k == "arp_entries")
        s.arp_entries = v.as<int>();
      else if (k == "arp_idle_every")
        s.arp_idle_every = v.as<int>();
      else if (k == "arp_offline_every")
        s.arp_offline_every = v.as<int>();
      else if (k == "dhcp_leases")
        s.dhcp_leases = v.as<bool>();
      else if (k == "ping_timeout_ms")
        s.ping_timeout_ms = v.as<int>();
      else if (k == "neighbors")
        s.neighbors = v.as<int>();
      else if (k == "neighbor_variety")
        s.neighbor_variety = v.as<bool>();
      else if (k == "rate_base")
        s.rate_base = v.as<uint64_t>();
      else if (k == "pppoe_queues")
        s.pppoe_queues = v.as<std::string>();
      else if (k == "static_queues")
        s.static_queues = v.as<int>();
      else if (k == "timestamps")
        s.timestamps = v.as<bool>();
      else if (k == "tls_cert")
        s.tls_cert = v.as<std::string>();
      else if (k == "tls_key")
        s.tls_key = v.as<std::string>();
      else if (k == "stats_interval")
        s.stats_interval_s = v.as<double>();
      else if (k == "version")
        s.version = v.as<std::string>();
      else if (k == "faults") {
        if (!v.IsSequence()) throw std::runtime_error("expected a list of faults");
        for (size_t i = 0; i < v.size(); ++i)
          s.faults.push_back(fault_from_yaml(v[i], where + "[" + std::to_string(i) + "]"));
      } else {
        throw std::runtime_error("unknown scenario key");
      }
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    } catch (const std::runtime_error& e) {
      std::string m = e.what();
      throw std::runtime_error(m.rfind(path, 0) == 0 ? m : where + ": " + m);
    }
  }
}

void validate(const Scenario& s) {
  if (s.routers < 1 || s.routers > 10000) throw std::runtime_error("routers must be 1..10000");
  if (s.base_port < 1 || s.base_port + s.routers - 1 > 65535) throw std::runtime_error("ports out of range");
  if (s.control_port < 0 || s.control_port > 65535) throw std::runtime_error("control_port out of range");
  if (s.sessions < 0 || s.sessions > 1000000) throw std::runtime_error("sessions must be 0..1000000");
  if (s.interval_s < 0.01) throw std::runtime_error("interval must be at least 0.01 s");
  if (s.churn_per_min < 0) throw std::runtime_error("churn_per_min must be >= 0");
  if (s.arp_entries < 0 || s.arp_entries > 62500) throw std::runtime_error("arp_entries must be 0..62500");
  if (s.ping_timeout_ms < 0) throw std::runtime_error("ping_timeout_ms must be >= 0");
  if (s.pppoe_queues != "dynamic" && s.pppoe_queues != "named" && s.pppoe_queues != "none")
    throw std::runtime_error("pppoe_queues must be dynamic, named or none");
  if (s.static_queues < 0 || s.static_queues > 60000) throw std::runtime_error("static_queues must be 0..60000");
  if (s.tls_cert.empty() != s.tls_key.empty()) throw std::runtime_error("tls_cert and tls_key go together");
  for (const auto& f : s.faults)
    if (f.router >= s.routers)
      throw std::runtime_error("fault for router " + std::to_string(f.router) + " out of range");
}

}  // namespace routeros_sim
