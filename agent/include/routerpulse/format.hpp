// routerpulse — numbers as text, one implementation for every format.
//
// Integers and finite doubles use std::to_chars (shortest round-trip form,
// locale-independent). Non-finite doubles have one documented policy per
// format, chosen by the caller:
//
//   | format                       | NaN / +Inf / -Inf                       | why |
//   |------------------------------|-----------------------------------------|---------------------------------------------|
//   | InfluxDB line protocol       | the field is left out (a metric with no  | line protocol has no NaN/Inf float
//   literal  | |                              | field left is not written)               | | | JSON | null | RFC 8259
//   has no NaN/Infinity                | | Prometheus text exposition   | NaN / +Inf / -Inf                       |
//   exposition format 0.0.4 "Go float" literals | | Redis stream entry fields    | NaN / +Inf / -Inf | same text as
//   Prometheus, easy to parse back |
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace routerpulse {

enum class NonFinite {
  omit,        ///< append nothing, return false (line protocol: drop the field)
  json_null,   ///< `null`
  prometheus,  ///< `NaN`, `+Inf`, `-Inf`
};

void append_number(std::string& out, int64_t v);
void append_number(std::string& out, uint64_t v);
/// Appends `v`; a non-finite value follows `policy`. Returns false only when
/// `policy` is omit and nothing was appended.
bool append_number(std::string& out, double v, NonFinite policy);

}  // namespace routerpulse
