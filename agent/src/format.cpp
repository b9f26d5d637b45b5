#include "routerpulse/format.hpp"

#include <charconv>
#include <cmath>

namespace routerpulse {

namespace {
template <class T>
void append_chars(std::string& out, T v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}
}  // namespace

void append_number(std::string& out, int64_t v) { append_chars(out, v); }
void append_number(std::string& out, uint64_t v) { append_chars(out, v); }

bool append_number(std::string& out, double v, NonFinite policy) {
  if (std::isfinite(v)) {
    append_chars(out, v);
    return true;
  }
  switch (policy) {
    case NonFinite::omit: return false;
    case NonFinite::json_null: out += "null"; return true;
    case NonFinite::prometheus: out += std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"); return true;
  }
  return false;
}

}  // namespace routerpulse
