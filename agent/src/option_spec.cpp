// Declared options (OptionSpec tables): validation and table-driven accessors.
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "routerpulse/config.hpp"

#include "option_values.hpp"

namespace routerpulse {

const char* to_string(OptionType t) noexcept {
  switch (t) {
    case OptionType::string: return "string";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::boolean: return "boolean";
    case OptionType::duration: return "duration";
    case OptionType::choice: return "choice";
    case OptionType::string_list: return "list of strings";
    case OptionType::string_map: return "map of strings";
    case OptionType::map: return "map";
    case OptionType::list: return "list";
    case OptionType::any: return "any";
  }
  return "?";
}

std::optional<bool> parse_bool_text(std::string_view s) {
  if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int_text(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_number_text(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool is_choice(const char* choices, std::string_view value) {
  std::string_view all = choices ? choices : "";
  for (size_t start = 0; start <= all.size();) {
    size_t bar = all.find('|', start);
    if (bar == std::string_view::npos) bar = all.size();
    if (all.substr(start, bar - start) == value) return true;
    start = bar + 1;
  }
  return false;
}

std::string choices_text(const char* choices) {
  std::string out;
  for (const char* c = choices ? choices : ""; *c; ++c) {
    if (*c == '|')
      out += ", ";
    else
      out.push_back(*c);
  }
  return out;
}

Options::Options(YAML::Node node, std::string path, std::shared_ptr<const std::string> file,
                 std::vector<OptionTable> spec)
    : Options(std::move(node), std::move(path), std::move(file)) {
  spec_ = std::move(spec);
  for (const auto& t : spec_)
    for (const auto& s : t) known_.insert(s.name);
}

const OptionSpec* Options::spec(const std::string& key) const {
  for (const auto& t : spec_)
    for (const auto& s : t)
      if (key == s.name) return &s;
  return nullptr;
}

const OptionSpec& Options::declared(const std::string& key, OptionType t) const {
  const OptionSpec* s = spec(key);
  if (!s) throw std::logic_error(path_ + ": option \"" + key + "\" is read but not declared in the option table");
  bool compatible = s->type == t || (t == OptionType::string && s->type == OptionType::choice);
  if (!compatible)
    throw std::logic_error(path_ + ": option \"" + key + "\" is declared as " + to_string(s->type) + " but read as " +
                           to_string(t));
  return *s;
}

YAML::Node Options::value_or_default(const OptionSpec& s) const {
  auto n = get(s.name);
  if (n.IsDefined()) return n;
  if (!s.default_value) return YAML::Node(YAML::NodeType::Undefined);
  return YAML::Load(s.default_value);
}

namespace {

std::string range_text(const OptionSpec& s, bool duration) {
  auto fmt = [&](double v) {
    if (duration) return format_duration(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(v)));
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    return std::to_string(v);
  };
  bool has_min = std::isfinite(s.min), has_max = std::isfinite(s.max);
  if (has_min && s.min == kPositive && !has_max) return "greater than 0";
  if (has_min && has_max) return "between " + fmt(s.min) + " and " + fmt(s.max);
  if (has_min) return "at least " + fmt(s.min);
  return "at most " + fmt(s.max);
}

}  // namespace

void check_option_value(const Options& o, const OptionSpec& s, const YAML::Node& n) {
  const std::string key = s.name;
  if (!n.IsDefined() || n.IsNull()) {
    if (s.required) throw o.error("", std::string("required option \"") + s.name + "\" is missing");
    return;
  }
  auto in_range = [&](double v) { return v >= s.min && v <= s.max; };
  auto fail = [&](const std::string& msg) { return o.error_at(n, key, msg); };
  switch (s.type) {
    case OptionType::string:
      if (!n.IsScalar()) throw fail("expected a string, got " + describe_node(n));
      break;
    case OptionType::integer: {
      if (!n.IsScalar()) throw fail("expected an integer, got " + describe_node(n));
      const std::string& t = n.Scalar();
      auto v = parse_int_text(t);
      if (!v) throw fail("expected an integer, got \"" + t + "\"");
      if (!in_range(static_cast<double>(*v))) throw fail("must be " + range_text(s, false) + ", got " + t);
      break;
    }
    case OptionType::number: {
      if (!n.IsScalar()) throw fail("expected a number, got " + describe_node(n));
      const std::string& t = n.Scalar();
      auto v = parse_number_text(t);
      if (!v) throw fail("expected a number, got \"" + t + "\"");
      if (!in_range(*v)) throw fail("must be " + range_text(s, false) + ", got " + t);
      break;
    }
    case OptionType::boolean:
      if (!n.IsScalar() || !parse_bool_text(n.Scalar())) throw fail("expected true or false, got " + describe_node(n));
      break;
    case OptionType::duration: {
      std::optional<Duration> d;
      if (n.IsScalar()) d = parse_duration(n.Scalar());
      if (!d) throw fail("expected a duration like 10s, 250ms or 5m, got " + describe_node(n));
      double secs = std::chrono::duration<double>(*d).count();
      if (!in_range(secs)) throw fail("must be " + range_text(s, true) + ", got " + n.Scalar());
      break;
    }
    case OptionType::choice:
      if (!n.IsScalar() || !is_choice(s.choices, n.Scalar()))
        throw fail("expected one of " + choices_text(s.choices) + ", got " +
                   (n.IsScalar() ? "\"" + n.Scalar() + "\"" : describe_node(n)));
      break;
    case OptionType::string_list:
      if (n.IsScalar()) break;
      if (!n.IsSequence()) throw fail("expected a list of strings, got " + describe_node(n));
      for (size_t i = 0; i < n.size(); ++i)
        if (!n[i].IsScalar())
          throw config_error_at(o.file(), n[i], o.path() + "." + key + "[" + std::to_string(i) + "]",
                                "expected a string, got " + describe_node(n[i]));
      break;
    case OptionType::string_map:
      if (!n.IsMap()) throw fail("expected a map of strings, got " + describe_node(n));
      for (auto it = n.begin(); it != n.end(); ++it)
        if (!it->second.IsScalar())
          throw config_error_at(o.file(), it->second, o.path() + "." + key + "." + it->first.Scalar(),
                                "expected a string, got " + describe_node(it->second));
      break;
    case OptionType::map:
      if (!n.IsMap()) throw fail("expected a map, got " + describe_node(n));
      break;
    case OptionType::list:
      if (!n.IsSequence()) throw fail("expected a list, got " + describe_node(n));
      break;
    case OptionType::any: break;
  }
}

void Options::validate_declared() const {
  // Unknown keys first: a typo is the likeliest problem.
  if (node_.IsMap()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string& k = it->first.Scalar();
      if (!spec(k)) {
        std::string known_list;
        for (const auto& t : spec_)
          for (const auto& s : t) known_list += (known_list.empty() ? "" : ", ") + std::string(s.name);
        throw config_error_at(*file_, it->first, child_path(k),
                              "unknown option" + (known_list.empty() ? std::string() : " (known: " + known_list + ")"));
      }
    }
  }
  for (const auto& t : spec_)
    for (const auto& s : t) check_option_value(*this, s, get(s.name));
}

std::string Options::str(const std::string& key) const {
  auto v = optional_str(key);
  if (!v) throw std::logic_error(path_ + ": option \"" + key + "\" has no default; use optional_str");
  return *v;
}

std::optional<std::string> Options::optional_str(const std::string& key) const {
  const auto& s = declared(key, OptionType::string);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  return n.Scalar();
}

int64_t Options::integer(const std::string& key) const {
  const auto& s = declared(key, OptionType::integer);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  if (!n.IsDefined()) throw std::logic_error(path_ + ": option \"" + key + "\" has no default");
  return *parse_int_text(n.Scalar());
}

double Options::number(const std::string& key) const {
  const auto& s = declared(key, OptionType::number);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  if (!n.IsDefined()) throw std::logic_error(path_ + ": option \"" + key + "\" has no default");
  return *parse_number_text(n.Scalar());
}

bool Options::boolean(const std::string& key) const {
  const auto& s = declared(key, OptionType::boolean);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  if (!n.IsDefined()) throw std::logic_error(path_ + ": option \"" + key + "\" has no default");
  return *parse_bool_text(n.Scalar());
}

Duration Options::duration(const std::string& key) const {
  const auto& s = declared(key, OptionType::duration);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  if (!n.IsDefined()) throw std::logic_error(path_ + ": option \"" + key + "\" has no default");
  return *parse_duration(n.Scalar());
}

std::vector<std::string> Options::strings(const std::string& key) const {
  const auto& s = declared(key, OptionType::string_list);
  auto n = value_or_default(s);
  check_option_value(*this, s, n);
  std::vector<std::string> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (n.IsScalar()) return {n.Scalar()};
  for (size_t i = 0; i < n.size(); ++i) out.push_back(n[i].Scalar());
  return out;
}

Duration Options::get_duration(const std::string& key, Duration def, Duration min, Duration max) const {
  Duration d = get_duration(key, def);
  if (d < min || d > max) {
    std::string what;
    if (min > Duration::zero() && min <= Duration(1) && max == Duration::max())
      what = "must be greater than 0";
    else if (max == Duration::max())
      what = "must be at least " + format_duration(min);
    else
      what = "must be between " + format_duration(min) + " and " + format_duration(max);
    throw error(key, what + ", got " + format_duration(d));
  }
  return d;
}

}  // namespace routerpulse
