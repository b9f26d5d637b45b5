// webhook output — a field value as text (Alertmanager annotations, template
// values): strings as they are, bools true/false, numbers as in the
// Prometheus text format (format.hpp, NonFinite::prometheus for NaN/±Inf).
// Threading: a pure function.
#pragma once

#include <string>
#include <type_traits>
#include <variant>

#include "routerpulse/format.hpp"
#include "routerpulse/metric.hpp"

namespace routerpulse::webhook {

inline std::string field_text(const FieldValue& v) {
  std::string out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          out = x;
        else if constexpr (std::is_same_v<T, bool>)
          out = x ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>)
          append_number(out, x, NonFinite::prometheus);
        else
          append_number(out, x);
      },
      v);
  return out;
}

}  // namespace routerpulse::webhook
