// processors/lua — one loaded script: its sandboxed state, its process/tick
// functions and the alert binding.
//
// Loading (constructor): read the file, compile it as text, run the top level
// and init(config) under one instruction budget; the script must define
// process(metric); tick(now) and init(config) are optional. Any failure throws
// ScriptError whose message names the file and, where Lua knows it, the line
// ("scripts/lua/x.lua:12: ..."). alert{} is not available while loading.
// Threading: not thread-safe. Construct anywhere; afterwards call from one
// strand only. Not movable (the Lua state points into it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "routerpulse/clock.hpp"

#include "alert_lua.hpp"
#include "lua_value.hpp"
#include "lua_vm.hpp"
#include "metric_proxy.hpp"
#include "sandbox.hpp"

namespace routerpulse::lua {

/// A script that cannot be read, compiled, run or initialised.
class ScriptError : public std::runtime_error {
 public:
  explicit ScriptError(const std::string& what, bool in_init = false) : std::runtime_error(what), in_init_(in_init) {}
  /// True when init(config) raised it (the config is the likely culprit).
  bool in_init() const noexcept { return in_init_; }

 private:
  bool in_init_;
};

/// What a Script is built from (the processor's options, resolved).
struct ScriptConfig {
  std::string path;                       ///< file to read (already resolved)
  std::string chunk_name;                 ///< name used in Lua messages, e.g. `scripts/lua/x.lua`
  std::string module_dir;                 ///< where require() looks
  uint64_t max_instructions = 1'000'000;  ///< per call (load counts as one call)
  size_t max_memory = 64u << 20;          ///< heap limit, bytes
  LuaValue init_config;                   ///< argument of init()
  int64_t default_stale_after_ns = 0;     ///< alert{} stale_after default
  /// Time of metrics that have none, and of os.time()/os.date(); must outlive
  /// the Script. Null: the system clock.
  const Clock* clock = nullptr;
  std::function<void(std::string_view)> print;  ///< print() sink; must not throw
};

class Script {
 public:
  /// Reads and loads the script. Throws ScriptError.
  Script(ScriptConfig cfg, AlertTracker& tracker);
  ~Script();
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  /// Calls process(metric) with `in` shown through proxies (metric_proxy.hpp;
  /// `in` is not modified during the call). On success appends what it
  /// returned to `out` (nothing when it returned nil); `in` itself may have
  /// been moved there (the `return m` fast path), so treat it as consumed. On failure `out`
  /// is unchanged and `in` is as it was (only a std::bad_alloc in the middle
  /// of the in-place update can leave some changes in it). Alert transitions
  /// go to `alerts` either way (state has changed).
  CallResult process(Metric& in, MetricBatch& out, MetricBatch& alerts);

  /// Calls tick(now) (now: ns since the epoch); same contract as process().
  /// Returns success without calling anything when the script has no tick.
  CallResult tick(int64_t now_ns, MetricBatch& out, MetricBatch& alerts);

  bool has_tick() const noexcept { return tick_ref_ != LUA_NOREF; }
  size_t memory_used() const noexcept { return vm_->memory_used(); }

  /// After a memory error: runs a full collection; when the heap is still
  /// above 90 % of max_memory (the script keeps the garbage reachable),
  /// rebuilds the state from the source read at construction (top level and
  /// init run again; alert state lives in the tracker and is kept). Returns
  /// whether it rebuilt. Throws ScriptError when rebuilding fails; the old
  /// state is kept then.
  bool recover_memory();

  const std::string& name() const noexcept { return cfg_.chunk_name; }

 private:
  void build();

  ScriptConfig cfg_;
  std::string source_;
  std::string chunk_id_;  ///< "@" + chunk_name
  SandboxHost host_;
  AlertBinding binding_;
  AlertTracker& tracker_;
  std::unique_ptr<Proxies> proxies_;  ///< of vm_'s state; declared first, so it outlives the state
  std::unique_ptr<Vm> vm_;
  int process_ref_ = LUA_NOREF;
  int tick_ref_ = LUA_NOREF;
};

}  // namespace routerpulse::lua
