// arp_presence — the per-target presence state with debounce, and the events
// its changes produce (`static_user_event`).
//
// Rules:
//  - a round that finds the target online resets the miss count; one that
//    does not adds a miss; `offline_after` consecutive misses make the target
//    offline (so one lost ARP refresh is not an outage);
//  - events: `online` (offline → online), `offline` (online → offline after
//    the misses), `mac_changed` (online with a MAC other than the one seen
//    before: a swapped CPE or an address taken by someone else);
//  - the first state learned after start (from unknown) emits no event: a
//    restart of the agent must not page for every customer;
//  - a round without an answer from the router (router down) changes nothing.
//
// Threading: plain values; used on the input's strand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace routerpulse::arp_presence {

enum class Presence : uint8_t { unknown, online, offline };

struct PresenceState {
  Presence state = Presence::unknown;
  int misses = 0;             ///< consecutive rounds without proof of presence
  std::string mac;            ///< last MAC seen while online (upper case), empty when none yet
  int64_t last_seen_ns = -1;  ///< wall time the target was last found online, -1 never
};

struct PresenceEvent {
  std::string event;         ///< online | offline | mac_changed
  std::string mac;           ///< the MAC now (may be empty for offline)
  std::string previous_mac;  ///< mac_changed: the MAC before
};

/// Applies one round's finding. `mac` is the MAC seen now (may be empty).
/// Appends the events this round produces to `events`.
void observe(PresenceState& s, bool online, const std::string& mac, int64_t now_ns, int offline_after,
             std::vector<PresenceEvent>& events);

/// The `online` field: true while the debounced state is online (a miss or
/// two below `offline_after` still report online), false otherwise.
inline bool reported_online(const PresenceState& s) noexcept { return s.state == Presence::online; }

}  // namespace routerpulse::arp_presence
