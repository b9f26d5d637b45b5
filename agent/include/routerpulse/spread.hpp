// Deterministic spreading of periodic work (no thundering herd).
//
// When many routers share one interval, starting every poll at the same
// instant makes the agent's CPU, the network and the routers see a burst each
// tick. Like Telegraf's `collection_offset`, each unit of work (a router's
// poll) gets a fixed offset within the interval; unlike random jitter, the
// offset is a pure function of a stable key (the router's name), so one
// router's polls stay exactly one interval apart and restarts keep the same
// schedule.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "routerpulse/clock.hpp"

namespace routerpulse {

/// 64-bit FNV-1a of `key` (http://www.isthe.com/chongo/tech/comp/fnv/): stable
/// across runs and platforms.
uint64_t stable_hash(std::string_view key) noexcept;

/// The offset of `key`'s work within `window`: stable_hash(key) scaled to
/// [0, window). Returns 0 for a zero or negative window.
Duration spread_offset(std::string_view key, Duration window) noexcept;

}  // namespace routerpulse
