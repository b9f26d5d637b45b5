#include "inventory.hpp"

#include <cstdio>
#include <optional>

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

/// A control character as a JSON escape (RFC 8259 §7): `\u00XX`.
std::string fmt_control(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", b);
  return buf;
}

}  // namespace

void Inventory::set_known(const std::vector<targets::TargetSpec>& known) {
  for (auto& [k, s] : sightings_) s.tags.reset();  // the entries' tags may have changed
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
    if (s.n.identity != n.identity || s.n.platform != n.platform || s.n.board != n.board || s.n.address != n.address ||
        s.n.discovered_by != n.discovered_by || s.n.address4 != n.address4 || s.n.address6 != n.address6)
      s.tags.reset();  // (address4/6 and identity also decide the known entry)
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
  m.set_tag_set(base_tags(n, entry));
  return m;
}

Metric Inventory::sighting_metric(Sighting& s, int entry, int64_t time_ns) const {
  if (!s.tags) s.tags = base_tags(s.n, entry);
  Metric m("neighbor", time_ns, MetricType::gauge);
  m.set_tag_set(s.tags);
  return m;
}

TagSet Inventory::base_tags(const Neighbor& n, int entry) const {
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
  return make_tag_set(std::move(tags));
}

std::map<std::string, std::string> Inventory::parents() const {
  std::map<std::string, std::string> out;  // mac → "router:interface,…" in sighting order
  for (const auto& [k, s] : sightings_) {
    if (!s.present) continue;
    std::string& p = out[s.n.mac];
    if (!p.empty()) p += ',';
    p += (s.n.router.empty() ? std::string("mndp-agent") : s.n.router) + ":" + s.n.interface;
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
      Metric& m = out.emplace_back(sighting_metric(s, i, time_ns));
      m.set_field(kVersion, s.n.version).set_field(kPresent, false).set_field(kKnown, i >= 0);
      s.reported_absent = true;
      ++it;
      continue;
    }
    Metric& m = out.emplace_back(sighting_metric(s, i, time_ns));
    m.reserve(0, 5);
    m.set_field(kVersion, s.n.version).set_field(kPresent, true).set_field(kKnown, i >= 0);
    if (s.n.uptime_s) m.set_field(kUptime, *s.n.uptime_s);
    if (s.n.age_s) m.set_field(kAge, *s.n.age_s);
    ++it;
  }

  if (!events) return;
  std::optional<std::map<std::string, std::string>> parents_by_mac;  // built at the first event
  auto event = [&](const char* what, const Neighbor& n, int entry) -> Metric& {
    if (!parents_by_mac) parents_by_mac = parents();
    auto p = parents_by_mac->find(n.mac);
    Metric& m = out.emplace_back(base_metric("neighbor_event", n, entry, time_ns));
    m.set_tag("event", what);
    m.set_field(kParents, p == parents_by_mac->end() ? std::string() : p->second).set_field(kKnown, entry >= 0);
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
  std::erase_if(devices_, [&](const auto& kv) {
    return !present_macs.count(kv.first) && now - kv.second.last_seen >= s_.candidate_repeat;
  });
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
    if (e.lost)
      ++c.lost;
    else if (e.ever_seen)
      ++c.known_present;
  }
  return c;
}

std::string Inventory::topology_json() const {
  // Written by hand (no DOM): sightings_ is ordered by router, then
  // interface, so the hierarchy streams out in one pass.
  std::string out = "{\"routers\":[";
  auto str = [&out](std::string_view v) {
    out += '"';
    for (char c : v) {
      const auto b = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (b < 0x20) {
        out += fmt_control(b);
      } else {
        out += c;
      }
    }
    out += '"';
  };
  const std::string* router = nullptr;
  const std::string* iface = nullptr;
  for (const auto& [k, s] : sightings_) {
    const Neighbor& n = s.n;
    if (!router || *router != n.router) {
      if (router) out += "]}]},";
      router = &n.router;
      iface = nullptr;
      out += "{\"router\":";
      str(n.router);
      out += n.router.empty() ? ",\"source\":\"mndp-agent\"" : ",\"source\":\"routeros\"";
      out += ",\"interfaces\":[";
    }
    if (!iface || *iface != n.interface) {
      if (iface) out += "]},";
      iface = &n.interface;
      out += "{\"interface\":";
      str(n.interface);
      out += ",\"neighbors\":[";
    } else {
      out += ',';
    }
    const int i = match(n);
    out += "{\"mac\":";
    str(n.mac);
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"identity", &n.identity},
                              {"platform", &n.platform},
                              {"board", &n.board},
                              {"address", &n.address},
                              {"version", &n.version},
                              {"discovered_by", &n.discovered_by},
                              {"interface_list", &n.interface_list}}) {
      out += ",\"";
      out += key;
      out += "\":";
      str(*value);
    }
    out += s.present ? ",\"present\":true" : ",\"present\":false";
    out += i >= 0 ? ",\"known\":true,\"candidate\":false,\"device\":" : ",\"known\":false,\"candidate\":true";
    if (i >= 0) str(known_[static_cast<size_t>(i)].spec.name);
    out += '}';
  }
  if (router) out += "]}]}";
  out += "],\"lost\":[";
  bool first = true;
  for (const auto& e : known_) {
    if (!e.lost) continue;
    out += first ? "{\"device\":" : ",{\"device\":";
    first = false;
    str(e.spec.name);
    out += ",\"mac\":";
    str(e.last.mac.empty() ? e.mac : e.last.mac);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace routerpulse::neighbors
