// arp_presence — debounce and events (presence.hpp).
#include "presence.hpp"

namespace routerpulse::arp_presence {

void observe(PresenceState& s, bool online, const std::string& mac, int64_t now_ns, int offline_after,
             std::vector<PresenceEvent>& events) {
  if (online) {
    if (s.state == Presence::offline) events.push_back({"online", mac, {}});
    if (s.state != Presence::unknown && !mac.empty() && !s.mac.empty() && mac != s.mac)
      events.push_back({"mac_changed", mac, s.mac});
    s.state = Presence::online;
    s.misses = 0;
    if (!mac.empty()) s.mac = mac;
    s.last_seen_ns = now_ns;
    return;
  }
  if (s.misses < offline_after) ++s.misses;
  if (s.misses >= offline_after && s.state != Presence::offline) {
    if (s.state == Presence::online) events.push_back({"offline", s.mac, {}});
    s.state = Presence::offline;
  }
}

}  // namespace routerpulse::arp_presence
