// processors/lua — what process()/tick() return → Metric.
//
// process(m) gets the metric as a proxy (metric_proxy.hpp); a script may
// return that proxy (`return m`), a new table {name=string, tags={k=v},
// fields={k=v}, time=integer [, type="gauge"|"counter"|"untyped"]} whose
// tags/fields may be the proxies m.tags / m.fields, or an array of either.
// `time` is int64 nanoseconds since the Unix epoch (a Lua 5.4 integer,
// exact). Field values map as
//   int64 → integer, double → float, bool → boolean, string → string,
//   uint64 ≤ INT64_MAX → integer, uint64 > INT64_MAX → float (rounded).
// Back from Lua: integer → int64, float → double, boolean, string; tag values
// must be strings (numbers are converted with tostring rules). When the
// returned fields are m.fields (`return m`, or `{name=…, fields=m.fields}`),
// existing keys keep their type: an integer in a former uint64 field (≥ 0)
// becomes uint64 again, an integer in a former double field becomes double,
// and an untouched float standing for a uint64 above INT64_MAX restores the
// exact original value (an untouched field is simply not converted at all).
//
// All functions raise Lua errors (call them inside Vm::call); errors about
// returned values call Vm::mark_invalid first. C++ state touched between Lua
// calls is left consistent if an error unwinds (no C++ objects with
// destructors live in these frames).
#pragma once

#include <cstdint>

#include <lua.hpp>

#include "routerpulse/metric.hpp"

#include "metric_proxy.hpp"

namespace routerpulse::lua {

/// The input metric a `return m` may be turned back into (process() only).
struct Reuse {
  Metric* metric = nullptr;  ///< the metric the running proxies show
  bool moved = false;        ///< set once *metric was moved into `out`
};

/// Reads what process()/tick() returned at stack index `idx`: nil (nothing),
/// one metric (proxy or table), or an array of them. Appends to `out`; a
/// metric without `time` gets `default_time`. `what` names the function in
/// errors. When the result is the running call's proxy itself (`return m`)
/// and `reuse` is given, that metric is moved into `out` and updated in
/// place (see update_in_place). On error `out` may hold a partly read tail;
/// the caller truncates it, first taking the metric back when `reuse->moved`.
void read_result(lua_State* L, int idx, Proxies& px, int64_t default_time, MetricBatch& out, const char* what,
                 Reuse* reuse = nullptr);

/// The in-place path of read_result for the running call's proxy at `idx`:
/// checks every write the script made (raising before anything changes),
/// then moves `*reuse.metric` to the end of `out`, sets `reuse.moved` and
/// applies the writes. Returns false, having changed nothing, when m.tags or
/// m.fields were replaced by other values (the caller rebuilds the metric).
/// After the move only std::bad_alloc can interrupt.
bool update_in_place(lua_State* L, int idx, Proxies& px, Reuse& reuse, MetricBatch& out, const char* what);

}  // namespace routerpulse::lua
