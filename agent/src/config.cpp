#include "routerpulse/config.hpp"

#include "option_values.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace routerpulse {

namespace {
std::string format_error(const std::string& file, int line, int column, const std::string& option,
                         const std::string& message) {
  std::string s = file.empty() ? std::string("<config>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  s += ": ";
  if (!option.empty()) s += option + ": ";
  s += message;
  return s;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string option, std::string message)
    : std::runtime_error(format_error(file, line, column, option, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      option_(std::move(option)),
      message_(std::move(message)) {}

ConfigError config_error_at(const std::string& file, const YAML::Node& n, const std::string& option,
                            const std::string& message) {
  int line = 0, col = 0;
  if (n.IsDefined()) {
    auto mark = n.Mark();
    if (mark.line >= 0) {
      line = mark.line + 1;
      col = mark.column + 1;
    }
  }
  return ConfigError(file, line, col, option, message);
}

std::string describe_node(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: return "\"" + n.Scalar() + "\"";
    default: return "nothing";
  }
}

// ---------------------------------------------------------------- durations

std::optional<Duration> parse_duration(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text == "0") return Duration::zero();
  long double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    std::string num(text.substr(start, i - start));
    char* end = nullptr;
    errno = 0;
    long double v = std::strtold(num.c_str(), &end);
    if (errno != 0 || end != num.c_str() + num.size()) return std::nullopt;
    size_t ustart = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    long double mul;
    if (unit == "ns")
      mul = 1;
    else if (unit == "us" || unit == "\xC2\xB5s")
      mul = 1e3L;
    else if (unit == "ms")
      mul = 1e6L;
    else if (unit == "s")
      mul = 1e9L;
    else if (unit == "m")
      mul = 60e9L;
    else if (unit == "h")
      mul = 3600e9L;
    else if (unit == "d")
      mul = 86400e9L;
    else if (unit == "w")
      mul = 7 * 86400e9L;
    else
      return std::nullopt;
    total += v * mul;
  }
  if (total > 9.2e18L) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(total))));
}

std::string format_duration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string s;
  if (ns % 1000000 != 0) {
    if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
    return std::to_string(ns) + "ns";
  }
  int64_t ms = ns / 1000000;
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  int64_t sec = ms / 1000;
  int64_t h = sec / 3600, m = (sec % 3600) / 60, r = sec % 60;
  if (h) s += std::to_string(h) + "h";
  if (m) s += std::to_string(m) + "m";
  if (r) s += std::to_string(r) + "s";
  return s;
}

// ------------------------------------------------------------- substitution

namespace {

std::string substitute(const std::string& in, const std::string& file, const YAML::Node& n, const std::string& path,
                       const std::string& base_dir) {
  if (in.find("${") == std::string::npos) return in;
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out.push_back(in[i++]);
      continue;
    }
    size_t close = in.find('}', i + 2);
    if (close == std::string::npos) throw config_error_at(file, n, path, "unterminated \"${\" in \"" + in + "\"");
    std::string ref = in.substr(i + 2, close - i - 2);
    if (ref.rfind("env:", 0) == 0) {
      std::string name = ref.substr(4);
      const char* v = std::getenv(name.c_str());
      if (!v)
        throw config_error_at(file, n, path,
                              "environment variable " + name + " is not set (referenced as ${" + ref + "})");
      out += v;
    } else if (ref.rfind("file:", 0) == 0) {
      std::filesystem::path p = ref.substr(5);
      if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
      std::ifstream f(p, std::ios::binary);
      if (!f)
        throw config_error_at(file, n, path,
                              "cannot read " + p.string() + " (referenced as ${" + ref + "}): " + std::strerror(errno));
      std::stringstream ss;
      ss << f.rdbuf();
      std::string content = ss.str();
      if (!content.empty() && content.back() == '\n') content.pop_back();
      if (!content.empty() && content.back() == '\r') content.pop_back();
      out += content;
    } else {
      throw config_error_at(file, n, path, "unknown substitution ${" + ref + "}; expected ${env:NAME} or ${file:PATH}");
    }
    i = close + 1;
  }
  return out;
}

void substitute_tree(YAML::Node node, const std::string& file, const std::string& path, const std::string& base_dir) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      std::string v = substitute(node.Scalar(), file, node, path, base_dir);
      if (v != node.Scalar()) node = v;  // assignment keeps the node's mark
      break;
    }
    case YAML::NodeType::Sequence:
      for (size_t i = 0; i < node.size(); ++i)
        substitute_tree(node[i], file, path + "[" + std::to_string(i) + "]", base_dir);
      break;
    case YAML::NodeType::Map:
      for (auto it = node.begin(); it != node.end(); ++it)
        substitute_tree(it->second, file, path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar(),
                        base_dir);
      break;
    default: break;
  }
}

// yaml-cpp keeps both entries of a map with a repeated key (and node[key]
// silently returns the first): refuse the file instead, naming both places.
void reject_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) reject_duplicate_keys(node[i], file, path + "[" + std::to_string(i) + "]");
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    std::string child = path.empty() ? key : path + "." + key;
    auto [at, fresh] = seen.emplace(key, it->first.Mark());
    if (!fresh) {
      bool component = path == "inputs" || path == "processors" || path == "outputs";
      throw config_error_at(file, it->first, child,
                            std::string(component ? "duplicate component id" : "duplicate key") + " \"" + key +
                                "\" (first defined at line " + std::to_string(at->second.line + 1) + ", column " +
                                std::to_string(at->second.column + 1) + ")");
    }
    reject_duplicate_keys(it->second, file, child);
  }
}

}  // namespace

YAML::Node load_config_text(const std::string& text, const std::string& file, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0, "",
                      "invalid YAML: " + e.msg);
  }
  if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw config_error_at(file, root, "", "expected a map at the top level, got " + describe_node(root));
  reject_duplicate_keys(root, file, "");
  substitute_tree(root, file, "", base_dir);
  return root;
}

YAML::Node load_config_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError(path, 0, 0, "", std::string("cannot open config file: ") + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  auto dir = std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();
  return load_config_text(ss.str(), path, dir);
}

// ------------------------------------------------------------------ Options

namespace {
// A missing key of a const node is an "invalid" yaml-cpp node that throws on
// most calls (even assignment); treat it as an empty option map.
YAML::Node defined_or_null(const YAML::Node& n) { return n.IsDefined() ? n : YAML::Node(YAML::NodeType::Null); }
}  // namespace

Options::Options(YAML::Node node, std::string path, std::shared_ptr<const std::string> file)
    : node_(defined_or_null(node)), path_(std::move(path)), file_(std::move(file)) {
  if (!file_) file_ = std::make_shared<const std::string>("<config>");
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    throw config_error_at(*file_, node_, path_, "expected a map of options, got " + describe_node(node_));
}

std::string Options::child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

bool Options::has(const std::string& key) const {
  known_.insert(key);
  if (!node_.IsMap()) return false;
  auto n = node_[key];
  return n.IsDefined() && !n.IsNull();
}

YAML::Node Options::get(const std::string& key) const {
  known_.insert(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  // const access does not insert
  const YAML::Node& cn = node_;
  auto n = cn[key];
  if (!n.IsDefined() || n.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return n;
}

ConfigError Options::error_at(const YAML::Node& n, const std::string& key, const std::string& message) const {
  return config_error_at(*file_, n.IsDefined() ? n : node_, key.empty() ? path_ : child_path(key), message);
}

ConfigError Options::error(const std::string& key, const std::string& message) const {
  YAML::Node n = key.empty() ? node_ : get(key);
  return error_at(n, key, message);
}

std::string Options::get_string(const std::string& key, const std::string& def) const {
  auto v = get_optional_string(key);
  return v ? *v : def;
}

std::optional<std::string> Options::get_optional_string(const std::string& key) const {
  auto n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) throw error_at(n, key, "expected a string, got " + describe_node(n));
  return n.Scalar();
}

std::string Options::require_string(const std::string& key) const {
  auto v = get_optional_string(key);
  if (!v) throw error_at(node_, key, "required option is missing");
  return *v;
}

std::string Options::get_enum(const std::string& key, const std::string& def,
                              const std::vector<std::string>& allowed) const {
  auto v = get_string(key, def);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw error(key, "expected one of " + list + ", got \"" + v + "\"");
}

int64_t Options::get_int(const std::string& key, int64_t def, int64_t min, int64_t max) const {
  auto n = get(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw error_at(n, key, "expected an integer, got " + describe_node(n));
  const std::string& s = n.Scalar();
  auto parsed = parse_int_text(s);
  if (!parsed) throw error_at(n, key, "expected an integer, got \"" + s + "\"");
  int64_t v = *parsed;
  if (v < min || v > max)
    throw error_at(n, key,
                   "expected an integer between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + s);
  return v;
}

double Options::get_double(const std::string& key, double def) const {
  auto n = get(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw error_at(n, key, "expected a number, got " + describe_node(n));
  const std::string& s = n.Scalar();
  auto v = parse_number_text(s);
  if (!v) throw error_at(n, key, "expected a number, got \"" + s + "\"");
  return *v;
}

bool Options::get_bool(const std::string& key, bool def) const {
  auto n = get(key);
  if (!n.IsDefined()) return def;
  if (n.IsScalar())
    if (auto b = parse_bool_text(n.Scalar())) return *b;
  throw error_at(n, key, "expected true or false, got " + describe_node(n));
}

Duration Options::get_duration(const std::string& key, Duration def) const {
  auto n = get(key);
  if (!n.IsDefined()) return def;
  if (n.IsScalar()) {
    if (auto d = parse_duration(n.Scalar())) return *d;
  }
  throw error_at(n, key, "expected a duration like 10s, 250ms or 5m, got " + describe_node(n));
}

std::vector<std::string> Options::get_string_list(const std::string& key, const std::vector<std::string>& def) const {
  auto n = get(key);
  if (!n.IsDefined()) return def;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) throw error_at(n, key, "expected a list of strings, got " + describe_node(n));
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar())
      throw config_error_at(*file_, n[i], child_path(key) + "[" + std::to_string(i) + "]",
                            "expected a string, got " + describe_node(n[i]));
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Options::get_string_map(const std::string& key) const {
  auto n = get(key);
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined()) return out;
  if (!n.IsMap()) throw error_at(n, key, "expected a map of strings, got " + describe_node(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->second.IsScalar())
      throw config_error_at(*file_, it->second, child_path(key) + "." + it->first.Scalar(),
                            "expected a string, got " + describe_node(it->second));
    out.emplace_back(it->first.Scalar(), it->second.Scalar());
  }
  return out;
}

Options Options::child(const std::string& key) const {
  auto n = get(key);
  return Options(n.IsDefined() ? n : YAML::Node(YAML::NodeType::Null), child_path(key), file_);
}

YAML::Node Options::raw(const std::string& key) const { return get(key); }

void Options::allow(const std::string& key) const { known_.insert(key); }

void Options::check_unknown() const {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string& k = it->first.Scalar();
    if (!known_.count(k)) {
      std::string known_list;
      for (const auto& kk : known_) known_list += (known_list.empty() ? "" : ", ") + kk;
      throw config_error_at(*file_, it->first, child_path(k),
                            "unknown option" + (known_list.empty() ? std::string() : " (known: " + known_list + ")"));
    }
  }
}

}  // namespace routerpulse
