// processors/lua — Metric ↔ Lua table.
//
// A metric is the table {name=string, tags={k=v}, fields={k=v}, time=integer
// [, type="gauge"|"counter"]}. `time` is int64 nanoseconds since the Unix
// epoch (a Lua 5.4 integer, exact). Field values map as
//   int64 → integer, double → float, bool → boolean, string → string,
//   uint64 ≤ INT64_MAX → integer, uint64 > INT64_MAX → float (rounded).
// Back from Lua: integer → int64, float → double, boolean, string; tag values
// must be strings (numbers are converted with tostring rules). When the
// returned metric still uses the `fields` table it was given (`return m`, or
// `{name=…, fields=m.fields}`), existing keys keep their type: an integer in a
// former uint64 field (≥ 0) becomes uint64 again, an integer in a former
// double field becomes double, and an untouched float standing for a uint64
// above INT64_MAX restores the exact original value.
//
// All functions raise Lua errors (call them inside Vm::call); errors about
// returned values call Vm::mark_invalid first. C++ state touched between Lua
// calls is left consistent if an error unwinds (no C++ objects with
// destructors live in these frames).
#pragma once

#include <cstdint>

#include <lua.hpp>

#include "routerpulse/metric.hpp"

namespace routerpulse::lua {

/// Pushes `m` as a new table.
void push_metric(lua_State* L, const Metric& m);

/// Where a returned metric came from (lua_topointer of the tables handed in),
/// for keeping field types stable and for updating the input in place.
struct TypeHints {
  const void* metric_table = nullptr;
  const void* tags_table = nullptr;
  const void* fields_table = nullptr;
  const Metric* origin = nullptr;  ///< the metric those tables were built from
};

/// The input metric a `return m` may be turned back into (process() only).
struct Reuse {
  Metric* metric = nullptr;
  bool moved = false;  ///< set once *metric was moved into `out`
};

/// Reads what process()/tick() returned at stack index `idx`: nil (nothing),
/// one metric table, or an array of metric tables. Appends to `out`; a metric
/// without `time` gets `default_time`. `what` names the function in errors.
/// When the result is the very table built from `reuse->metric` (`return m`),
/// that metric is moved into `out` and updated in place instead of rebuilt
/// (see update_in_place). On error `out` may hold a partly read tail; the
/// caller truncates it, first taking the metric back when `reuse->moved`.
void read_result(lua_State* L, int idx, const TypeHints& hints, int64_t default_time, MetricBatch& out,
                 const char* what, Reuse* reuse = nullptr);

/// The in-place path of read_result: compares the table at `idx` (built from
/// `reuse.metric`, and still holding the tags/fields tables built with it)
/// with that metric; when at most 32 tags and 32 fields differ and no tag
/// value is a number, moves the metric to the end of `out`, sets
/// `reuse.moved` and applies the differences. Returns false, having changed
/// nothing, when the table cannot take this path. Invalid values raise
/// before anything changes; after the move only std::bad_alloc can interrupt.
bool update_in_place(lua_State* L, int idx, const TypeHints& hints, Reuse& reuse, MetricBatch& out, const char* what);

}  // namespace routerpulse::lua
