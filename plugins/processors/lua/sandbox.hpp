// processors/lua — the global environment scripts run in.
//
// Available: the base library without dofile/loadfile/warn, and with
//   load            text chunks only (mode forced to "t": no bytecode)
//   require(name)   only `<module_dir>/<name>.lua` (dots become `/`), only
//                   while the script loads (top level or init), cached
//   collectgarbage  only "count" and "isrunning"
//   setmetatable    refuses metatables with __gc (finalizers run outside the
//                   instruction budget)
//   xpcall          the message handler is skipped once the instruction
//                   budget is spent (Lua runs it with hooks off then)
//   print           to the plugin's log (info level, rate-limited)
// plus string (without string.dump; string.rep of an empty string returns ""
// at once), table (table.move refuses more than max_instructions elements),
// math, utf8 and os.time/os.clock/os.date/os.difftime (os.time() and
// os.date() without a time read the processor's clock, so tests driving a
// ManualClock see the same "now" as tick(now)). Not available: io,
// os.execute, os.getenv and the rest of os, package, debug, coroutine.
// Not metered: CPU time inside one library call that neither allocates nor
// calls back into Lua — in practice Lua patterns with several `.-`/`.*` on
// long strings (backtracking). The memory limit bounds everything else.
// Must be called inside Vm::call (it allocates and may raise).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <lua.hpp>

#include "routerpulse/clock.hpp"

namespace routerpulse::lua {

/// What the sandbox needs from its owner. Must outlive the Lua state.
struct SandboxHost {
  std::string module_dir;  ///< directory `require` reads modules from
  bool loading = true;     ///< true while the script loads; require refuses otherwise
  /// Receives print() output (one line, tab-separated arguments). Must not throw.
  std::function<void(std::string_view)> print;
  /// The current time for os.time() / os.date(); null keeps Lua's own (time(2)).
  const Clock* clock = nullptr;
};

/// Opens the allowed libraries into the globals of `L` and installs the
/// restricted replacements listed above.
void install_sandbox(lua_State* L, SandboxHost* host);

}  // namespace routerpulse::lua
