#include "routerpulse/exposition.hpp"

#include "routerpulse/format.hpp"

#include <charconv>
#include <cmath>

namespace routerpulse::exposition {
namespace {

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_name_char(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_' || c == ':'; }
constexpr bool is_label_char(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_'; }

}  // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name[0])) return false;
  for (char c : name)
    if (!is_name_char(c)) return false;
  return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name[0]) || name.substr(0, 2) == "__") return false;
  for (char c : name)
    if (!is_label_char(c)) return false;
  return true;
}

void append_metric_name(std::string& out, std::string_view raw, bool leading) {
  if (leading && (raw.empty() || is_digit(raw[0]))) out.push_back('_');
  for (char c : raw) out.push_back(is_name_char(c) ? c : '_');
}

void append_label_name(std::string& out, std::string_view raw) {
  if (raw.empty() || is_digit(raw[0]))
    out.push_back('_');
  else if (raw.substr(0, 2) == "__")
    out += "tag";
  for (char c : raw) out.push_back(is_label_char(c) ? c : '_');
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
}

void append_help_text(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}

void append_value(std::string& out, double v) { append_number(out, v, NonFinite::prometheus); }

void append_value(std::string& out, int64_t v) { append_number(out, v); }
void append_value(std::string& out, uint64_t v) { append_number(out, v); }

void append_family_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  append_help_text(out, help);
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
}

}  // namespace routerpulse::exposition
