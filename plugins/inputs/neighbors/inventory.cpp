#include "inventory.hpp"

#include <nlohmann/json.hpp>

namespace routerpulse::neighbors {
namespace {

std::string sighting_key(const std::string& router, const std::string& interface, const std::string& mac) {
  std::string k = router;
  k += '\0';
  k += interface;
  k += '\0';
  k += mac;
  return k;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

void Inventory::set_known(const std::vector<targets::TargetSpec>& known) {
  std::map<std::string, Entry> old;
  for (auto& e : known_) old.emplace(e.spec.name, std::move(e));
  known_.clear();
  by_mac_.clear();
  by_address_.clear();
  by_identity_.clear();
  for (const auto& spec : known) {
    Entry e;
    if (auto it = old.find(spec.name); it != old.end()) e = std::move(it->second);
    e.spec = spec;
    const int i = static_cast<int>(known_.size());
    if (auto mac = normalize_mac(spec.name)) {
      e.mac = *mac;
      by_mac_.emplace(*mac, i);
    } else if (auto kind = targets::classify_address(spec.name);
               kind == targets::AddressKind::ipv4 || kind == targets::AddressKind::ipv6) {
      by_address_.emplace(spec.name, i);
    } else {
      by_identity_.emplace(spec.name, i);
    }
    known_.push_back(std::move(e));
  }
}

int Inventory::match(const Neighbor& n) const {
  if (auto it = by_mac_.find(n.mac); it != by_mac_.end()) return it->second;
  for (const std::string* a : {&n.address, &n.address4, &n.address6})
    if (!a->empty())
      if (auto it = by_address_.find(*a); it != by_address_.end()) return it->second;
  if (!n.identity.empty())
    if (auto it = by_identity_.find(n.identity); it != by_identity_.end()) return it->second;
  return -1;
}

void Inventory::observe(const std::string& router, const std::vector<Neighbor>& rows, SteadyTime now) {
  if (!started_) {
    started_ = true;
    first_round_ = now;
  }
  router_ok_[router] = now;
  const std::string prefix = router + '\0';
  for (auto it = sightings_.lower_bound(prefix); it != sightings_.end() && it->first.starts_with(prefix); ++it)
    it->second.present = false;
  for (const auto& n : rows) {
    Sighting& s = sightings_[sighting_key(router, n.interface, n.mac)];
    s.n = n;
    s.present = true;
    s.reported_absent = false;
    devices_[n.mac].last_seen = now;
    const int i = match(n);
    if (i < 0) continue;
    Entry& e = known_[static_cast<size_t>(i)];
    if (e.lost) {
      e.lost = false;
      pending_found_.push_back({i, n});
    }
    e.ever_seen = true;
    e.last_seen = now;
    e.parents[router] = now;
    e.last = n;
  }
}

Metric Inventory::base_metric(const char* name, const Neighbor& n, int entry, int64_t time_ns) const {
  Metric m(name, time_ns, MetricType::gauge);
  TagList tags;
  if (entry >= 0) {
    const Entry& e = known_[static_cast<size_t>(entry)];
    tags = e.spec.tags;
    tags.push_back({"device", e.spec.name});
  }
  auto put = [&](const char* k, const std::string& v) {
    std::erase_if(tags, [&](const Tag& t) { return t.key == k; });  // the plugin's tags win
    if (!v.empty()) tags.push_back({k, v});
  };
  put("interface", n.interface);
  put("mac", n.mac);
  put("identity", n.identity);
  put("platform", n.platform);
  put("board", n.board);
  put("address", n.address);
  put("discovered_by", n.discovered_by);
  std::erase_if(tags, [](const Tag& t) { return t.key == "router"; });
  tags.push_back({"router", n.router});  // "" for the agent's own MNDP listener (issue 16)
  m.set_tag_set(make_tag_set(std::move(tags)));
  return m;
}

std::string Inventory::parents_of(const std::string& mac) const {
  std::string out;
  for (const auto& [k, s] : sightings_)
    if (s.present && s.n.mac == mac) {
      if (!out.empty()) out += ',';
      out += (s.n.router.empty() ? std::string("mndp-agent") : s.n.router) + ":" + s.n.interface;
    }
  return out;
}

void Inventory::finish_round(SteadyTime now, int64_t time_ns, MetricBatch& out, bool events) {
  static const Key kVersion("version"), kUptime("uptime_s"), kAge("age_s"), kPresent("present"), kKnown("known"),
      kParents("parents"), kLastSeen("last_seen_s");
  std::set<std::string> present_macs;
  for (const auto& [k, s] : sightings_)
    if (s.present) present_macs.insert(s.n.mac);

  for (auto it = sightings_.begin(); it != sightings_.end();) {
    Sighting& s = it->second;
    const int i = match(s.n);
    if (!s.present) {
      // Gone from its router: known devices stay visible as present=false
      // until seen elsewhere; unknown ones are reported once.
      if (present_macs.count(s.n.mac) || (i < 0 && s.reported_absent)) {
        it = sightings_.erase(it);
        continue;
      }
      Metric& m = out.emplace_back(base_metric("neighbor", s.n, i, time_ns));
      m.set_field(kVersion, s.n.version).set_field(kPresent, false).set_field(kKnown, i >= 0);
      s.reported_absent = true;
      ++it;
      continue;
    }
    Metric& m = out.emplace_back(base_metric("neighbor", s.n, i, time_ns));
    m.set_field(kVersion, s.n.version).set_field(kPresent, true).set_field(kKnown, i >= 0);
    if (s.n.uptime_s) m.set_field(kUptime, *s.n.uptime_s);
    if (s.n.age_s) m.set_field(kAge, *s.n.age_s);
    ++it;
  }

  if (!events) return;
  auto event = [&](const char* what, const Neighbor& n, int entry) -> Metric& {
    Metric& m = out.emplace_back(base_metric("neighbor_event", n, entry, time_ns));
    m.set_tag("event", what);
    m.set_field(kParents, parents_of(n.mac)).set_field(kKnown, entry >= 0);
    return m;
  };
  // Candidates: one event per unknown MAC, repeated after candidate_repeat.
  std::set<std::string> done;
  for (const auto& [k, s] : sightings_) {
    if (!s.present || done.count(s.n.mac) || match(s.n) >= 0) continue;
    done.insert(s.n.mac);
    Device& d = devices_[s.n.mac];
    if (d.candidate_sent && now - d.candidate_at < s_.candidate_repeat) continue;
    d.candidate_sent = true;
    d.candidate_at = now;
    event("candidate", s.n, -1);
  }
  for (auto& [i, n] : pending_found_) event("found", n, i);
  pending_found_.clear();
  // Lost: not seen for lost_after, and every router that saw it lately has answered since.
  for (size_t i = 0; i < known_.size(); ++i) {
    Entry& e = known_[i];
    if (e.lost || !started_) continue;
    const SteadyTime since = e.ever_seen ? e.last_seen : first_round_;
    if (now - since < s_.lost_after) continue;
    bool looked = true;
    for (const auto& [router, seen] : e.parents) {
      if (e.last_seen - seen >= s_.lost_after) continue;  // an old parent does not count
      auto ok = router_ok_.find(router);
      if (ok == router_ok_.end() || ok->second <= e.last_seen) looked = false;
    }
    if (!looked) continue;
    e.lost = true;
    Neighbor n = e.ever_seen ? e.last : Neighbor{};
    if (!e.ever_seen) n.mac = e.mac;
    Metric& m = event("lost", n, static_cast<int>(i));
    if (e.ever_seen) m.set_field(kLastSeen, seconds(now - e.last_seen));
  }
  // Forget devices that left every table (their candidate state goes with them).
  std::erase_if(devices_, [&](const auto& kv) { return !present_macs.count(kv.first) && now - kv.second.last_seen >= s_.candidate_repeat; });
}

Inventory::Counts Inventory::counts() const {
  Counts c;
  std::set<std::string> macs, candidates;
  for (const auto& [k, s] : sightings_) {
    if (!s.present) continue;
    ++c.sightings;
    macs.insert(s.n.mac);
    if (match(s.n) < 0) candidates.insert(s.n.mac);
  }
  c.devices = macs.size();
  c.candidates = candidates.size();
  c.known = known_.size();
  for (const auto& e : known_) {
    if (e.lost) ++c.lost;
    else if (e.ever_seen) ++c.known_present;
  }
  return c;
}

std::string Inventory::topology_json() const {
  using nlohmann::json;
  json routers = json::object();
  for (const auto& [k, s] : sightings_) {
    const int i = match(s.n);
    json dev = {{"mac", s.n.mac},
                {"identity", s.n.identity},
                {"platform", s.n.platform},
                {"board", s.n.board},
                {"address", s.n.address},
                {"version", s.n.version},
                {"discovered_by", s.n.discovered_by},
                {"interface_list", s.n.interface_list},
                {"present", s.present},
                {"known", i >= 0},
                {"candidate", i < 0}};
    if (i >= 0) dev["device"] = known_[static_cast<size_t>(i)].spec.name;
    routers[s.n.router][s.n.interface].push_back(std::move(dev));
  }
  json out = {{"routers", json::array()}, {"lost", json::array()}};
  for (auto& [router, ifaces] : routers.items()) {
    json r = {{"router", router}, {"source", router.empty() ? "mndp-agent" : "routeros"}, {"interfaces", json::array()}};
    for (auto& [iface, list] : ifaces.items()) r["interfaces"].push_back({{"interface", iface}, {"neighbors", list}});
    out["routers"].push_back(std::move(r));
  }
  for (const auto& e : known_)
    if (e.lost) out["lost"].push_back({{"device", e.spec.name}, {"mac", e.last.mac.empty() ? e.mac : e.last.mac}});
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace routerpulse::neighbors
