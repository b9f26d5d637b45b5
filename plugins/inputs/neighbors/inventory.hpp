// neighbors — the inventory: which devices the routers (and the agent's MNDP
// listener) see, which of them are known, and the events between rounds.
//
// Rules (issue 16):
//  - a sighting is one (router, interface, mac); a device (MAC) seen by
//    several routers or interfaces has several parents, all reported;
//  - a known device is an entry of the shared target list in device form
//    (targets/target_spec.hpp, NameRule::device): its name is a MAC address,
//    an IP address or an identity; a sighting matches an entry when the MAC
//    (case-insensitive), the address (address, address4 or address6) or the
//    identity equals it. The entry's own tags are added to the device's
//    metrics and events (the plugin's tags win on a clash);
//  - `candidate`: a MAC that matches no entry; emitted when first seen and
//    again only after `candidate_repeat` while it is still seen;
//  - `lost`: a known entry not seen for `lost_after`, judged only when every
//    router that saw it last has answered since (a router that is down cannot
//    lose its devices); an entry never seen counts from the first round;
//  - `found`: a lost entry seen again.
//  - `neighbor` metrics: one per sighting with present=true; a sighting that
//    left its router's table is reported present=false — every round while
//    the device is known, once otherwise.
//
// Threading: not synchronised; the plugin uses it on its strand. Time is the
// caller's (ctx.clock), so tests drive it with a ManualClock.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "neighbor.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/metric.hpp"
#include "targets/target_spec.hpp"

namespace routerpulse::neighbors {

class Inventory {
 public:
  struct Settings {
    Duration candidate_repeat = std::chrono::hours(24);
    Duration lost_after = std::chrono::minutes(10);
  };
  struct Counts {
    size_t sightings = 0, devices = 0, known = 0, known_present = 0, candidates = 0, lost = 0;
  };

  explicit Inventory(Settings s) : s_(s) {}

  /// Replaces the known entries (a new target list).
  void set_known(const std::vector<targets::TargetSpec>& known);
  /// One source's complete table after a successful read (`router` "" = the
  /// agent's MNDP listener). Sightings of `router` missing from `rows` are
  /// now absent.
  void observe(const std::string& router, const std::vector<Neighbor>& rows, SteadyTime now);
  /// Ends a round: appends the `neighbor` metrics and, when `events`, the
  /// `neighbor_event`s (time `time_ns`) to `out`. Without events (the known
  /// list is not loaded yet) no candidate, lost or found is decided.
  void finish_round(SteadyTime now, int64_t time_ns, MetricBatch& out, bool events = true);
  /// The hierarchy: router → interface → neighbors, candidates marked, plus
  /// the known entries that are lost (GET /api/v1/topology).
  std::string topology_json() const;
  Counts counts() const;

 private:
  struct Sighting {
    Neighbor n;
    bool present = true;
    bool reported_absent = false;
    TagSet tags;  ///< the `neighbor` tags, built once while they stay the same (null: rebuild)
  };
  struct Device {  // per MAC
    SteadyTime last_seen{};
    bool candidate_sent = false;
    SteadyTime candidate_at{};
  };
  struct Entry {  // per known target
    targets::TargetSpec spec;
    std::string mac;  ///< normalised when the name is a MAC
    bool ever_seen = false, lost = false;
    SteadyTime last_seen{};
    std::map<std::string, SteadyTime> parents;  ///< router → when it last saw the device
    Neighbor last;                              ///< the last sighting (event tags)
  };

  /// The index of the known entry matching `n`, or -1.
  int match(const Neighbor& n) const;
  TagSet base_tags(const Neighbor& n, int entry) const;
  Metric base_metric(const char* name, const Neighbor& n, int entry, int64_t time_ns) const;
  /// The sighting's metric, its TagSet cached.
  Metric sighting_metric(Sighting& s, int entry, int64_t time_ns) const;
  /// Every present MAC → its parents `router:interface,…` (MNDP: `mndp-agent:<interface>`).
  std::map<std::string, std::string> parents() const;

  Settings s_;
  std::vector<Entry> known_;
  std::map<std::string, int> by_mac_, by_address_, by_identity_;
  std::map<std::string, Sighting> sightings_;  // router \0 interface \0 mac
  std::map<std::string, Device> devices_;      // mac
  std::map<std::string, SteadyTime> router_ok_;
  std::vector<std::pair<int, Neighbor>> pending_found_;  // found since the last finish_round
  bool started_ = false;
  SteadyTime first_round_{};
};

}  // namespace routerpulse::neighbors
