// processors/lua — the metric a process() call sees: userdata proxies over
// the C++ Metric instead of tables copied from it.
//
// `m` is a userdata; `m.name`, `m.time` (int64 ns, a Lua integer), `m.type`
// ("gauge" | "counter" | nil) are read from the Metric when asked, and
// `m.tags` / `m.fields` are two more userdata whose `X` entries are read
// lazily (field values map as in metric_table.hpp). Nothing is copied into
// Lua unless the script reads it.
//
// Writes never touch the Metric during the call: every assignment
// (`m.name = …`, `m.tags.x = …`, `m.fields.y = nil`, `m.anything = …`) goes
// into one of three overlay tables (metric, tags, fields) kept in the
// registry and reused from call to call. Reads look at the overlay first, so
// the script sees exactly what it wrote (a number written as a tag reads
// back as a number, as with tables). The overlays are checked and applied
// when the result is read (metric_table.cpp / metric_update.cpp); a call
// that fails leaves the Metric as it was. A removal is stored as a private
// light-userdata sentinel (a script can never obtain it).
//
// pairs() works on all three proxies (base entries first, then added ones);
// next(), rawget() and # do not (they need tables).
//
// Lifetime: proxies are created per call (m at the start, tags/fields on
// first use, then cached for the call). Each carries the generation of its
// call; end() bumps the generation and forgets the Metric, so a proxy kept
// by the script (a global, an upvalue) raises "metric … used after the
// process() call it was given to" with the script's line instead of
// reaching freed memory.
//
// Ownership/threading: one Proxies per Lua state, owned by the Script next to
// its Vm and outliving every call into that state; the Metric passed to
// begin() must stay alive and unmodified until end(). Not thread-safe (the
// Script's strand). Functions taking lua_State* may raise Lua errors: call
// them inside Vm::call.
#pragma once

#include <cstddef>
#include <cstdint>

#include <lua.hpp>

#include "routerpulse/metric.hpp"

namespace routerpulse::lua {

enum class ProxyKind : uint8_t { metric = 0, tags = 1, fields = 2, none = 3, stale = 4 };

class Proxies {
 public:
  /// Creates the metatables and overlay tables in `L` (once, while loading).
  void install(lua_State* L);

  /// Starts a process() call on `m`: empties the overlays the previous call
  /// wrote to and pushes the metric proxy `m`.
  void begin(lua_State* L, const Metric& m);
  /// Ends the call: every proxy handed out so far becomes stale. Call it
  /// after the protected call, whether it failed or not.
  void end() noexcept {
    metric_ = nullptr;
    ++gen_;
  }

  /// The metric of the running call, or nullptr (loading, tick, after end).
  const Metric* current() const noexcept { return metric_; }

  /// The kind of the value at `idx`: metric/tags/fields for a proxy of the
  /// running call, `stale` for a proxy of an earlier call, `none` for
  /// anything else. Never raises.
  ProxyKind kind_of(lua_State* L, int idx) const;

  /// Writes since begin() into the overlay of `k` (0: nothing changed).
  uint32_t writes(ProxyKind k) const noexcept { return writes_[static_cast<int>(k)]; }
  /// Pushes the overlay table of `k` (keys as written; removals are the
  /// sentinel, see removed()).
  void push_overlay(lua_State* L, ProxyKind k) const;
  /// Whether the value at `idx` is the removal sentinel.
  static bool removed(lua_State* L, int idx) noexcept;

  /// Pushes what `m[key]` reads for the running metric proxy (overlay
  /// first; the tags/fields proxies for "tags"/"fields").
  void push_member(lua_State* L, const char* key);

  /// Iterates the entries a tags/fields proxy at `idx` shows (what pairs()
  /// gives): calls fn(L, ctx) with the key at -2 and the value at -1; fn
  /// must leave the stack as it found it.
  void each_entry(lua_State* L, int idx, void (*fn)(lua_State* L, void* ctx), void* ctx);

  /// When the value at `idx` is a tags/fields proxy of the running call,
  /// replaces it with a plain table holding its entries (for alert{}
  /// labels = m.tags) and returns true; false (nothing changed) otherwise.
  /// A stale proxy raises a runtime error.
  bool flatten(lua_State* L, int idx);

  // Lua-facing implementation (metamethods; public for the C trampolines).
  struct Cursor {
    size_t pos = 0;        ///< next base entry
    bool overlay = false;  ///< base entries done; walking the overlay
  };
  bool next_entry(lua_State* L, ProxyKind k, Cursor& c);
  bool overlay_get(lua_State* L, ProxyKind k, int key_idx);
  void push_proxy(lua_State* L, ProxyKind k);
  void check(lua_State* L, int idx);
  void overlay_set(lua_State* L, ProxyKind k, int key_idx, int value_idx);

 private:
  size_t base_size(ProxyKind k) const noexcept;
  void push_base_key(lua_State* L, ProxyKind k, size_t i) const;
  bool push_base_value(lua_State* L, ProxyKind k, size_t i);  ///< false: absent
  bool in_base(lua_State* L, ProxyKind k, int key_idx) const;
  void clear_overlay(lua_State* L, int k);

  const Metric* metric_ = nullptr;
  uint64_t gen_ = 1;
  int mt_ref_[3] = {LUA_NOREF, LUA_NOREF, LUA_NOREF};
  const void* mt_ptr_[3] = {nullptr, nullptr, nullptr};
  int overlay_ref_[3] = {LUA_NOREF, LUA_NOREF, LUA_NOREF};
  int proxy_ref_[3] = {LUA_NOREF, LUA_NOREF, LUA_NOREF};  ///< this call's tags/fields proxies
  uint64_t proxy_gen_[3] = {0, 0, 0};
  uint32_t writes_[3] = {0, 0, 0};
};

}  // namespace routerpulse::lua
