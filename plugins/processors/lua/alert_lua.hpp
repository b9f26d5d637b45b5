// processors/lua — the `alert{...}` function scripts call.
//
//   local phase = alert{ name = "customer_near_package",   -- required string
//                        key = user,                        -- string/number, default ""
//                        condition = ratio >= 0.95,         -- required (truthy = true)
//                        ["for"] = 300, cooldown = 600,     -- seconds, default 0
//                        severity = "warning",              -- default "warning"
//                        value = ratio,                     -- number, default 1/0 from condition
//                        message = "…",                     -- or a function(opts) -> string, called
//                                                           -- only when the message is used; default "<name> <key>"
//                        labels = { router = r },           -- extra tags (string/number values)
//                        annotations = { package = "50M" }, -- extra fields (string/number/boolean)
//                        time = m.time,                     -- ns; default: the metric being processed
//                        stale_after = 600 }                -- seconds; default: plugin alert_stale_after
// returns "inactive" | "pending" | "firing" after the evaluation. Unknown
// keys, wrong types, negative durations and labels/annotations that reuse a
// reserved name (alertname, severity, key / status, value, message,
// started_at, reason) raise an error. Semantics: alert_state.hpp.
#pragma once

#include <cstdint>

#include <lua.hpp>

#include "alert_state.hpp"

namespace routerpulse::lua {

class Proxies;

/// Where alert{} evaluates and sends its events. Owned by the script; the
/// owner sets `now` and `events` before every call into Lua.
struct AlertBinding {
  AlertTracker* tracker = nullptr;
  int64_t now = 0;                ///< default evaluation time, ns
  MetricBatch* events = nullptr;  ///< transition events are appended here
  int64_t default_stale_after_ns = 0;
  Proxies* proxies = nullptr;  ///< the state's metric proxies (labels = m.tags); owner updates it on rebuild
};

/// Defines the global `alert` in `L`. Call inside Vm::call.
void install_alert(lua_State* L, AlertBinding* binding);

}  // namespace routerpulse::lua
