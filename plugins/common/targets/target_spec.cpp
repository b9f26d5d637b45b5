#include "targets/target_spec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace routerpulse::targets {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool valid_tag_key(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

std::string describe(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Identity of a target for duplicate checks: name and tags.
std::string identity(const TargetSpec& t) {
  std::string k = t.name;
  for (const auto& tag : t.tags) k += '\0' + tag.key + '=' + tag.value;
  return k;
}

}  // namespace

AddressKind classify_address(std::string_view text) {
  if (text.empty() || text.size() > 253 + 1) return AddressKind::invalid;
  std::string s(text);
  unsigned char buf[16];
  if (s.find(':') != std::string::npos) {
    return inet_pton(AF_INET6, s.c_str(), buf) == 1 ? AddressKind::ipv6 : AddressKind::invalid;
  }
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return AddressKind::ipv4;
  if (s.back() == '.') s.pop_back();
  if (s.empty() || s.size() > 253) return AddressKind::invalid;
  bool all_numeric = true;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string::npos) end = s.size();
    std::string_view label(s.data() + start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return AddressKind::invalid;
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return AddressKind::invalid;
      if (!std::isdigit(static_cast<unsigned char>(c))) all_numeric = false;
    }
    start = end + 1;
  }
  return all_numeric ? AddressKind::invalid : AddressKind::hostname;
}

bool valid_name(std::string_view word, NameRule rule) {
  if (rule == NameRule::address) return classify_address(word) != AddressKind::invalid;
  if (word.empty() || word.size() > 253) return false;
  for (char c : word) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7F || c == '#' || c == '=') return false;
  }
  return true;
}

const char* name_key(NameRule rule) noexcept { return rule == NameRule::device ? "device" : "address"; }

namespace {
std::string name_problem(std::string_view word, NameRule rule) {
  return describe(word) + (rule == NameRule::device ? " is not a MAC address, IP address or device identity"
                                                    : " is not an IPv4/IPv6 address or a host name");
}
}  // namespace

bool parse_target_line(std::string_view line, TargetSpec& out, LineError& err, NameRule rule) {
  out = TargetSpec{};
  size_t i = 0;
  bool first = true;
  TagList tags;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i >= line.size() || line[i] == '#') break;
    size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    std::string_view word = line.substr(start, i - start);
    int col = static_cast<int>(start) + 1;
    if (first) {
      first = false;
      if (!valid_name(word, rule)) {
        err = {col, name_problem(word, rule)};
        return false;
      }
      out.name = std::string(word);
      continue;
    }
    size_t eq = word.find('=');
    if (eq == std::string_view::npos) {
      err = {col, "expected a tag key=value after the address, got " + describe(word)};
      return false;
    }
    std::string_view key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!valid_tag_key(key)) {
      err = {col, "bad tag key " + describe(key) + " (letters, digits, _ - . only)"};
      return false;
    }
    if (value.empty()) {
      err = {col, "tag " + std::string(key) + " has an empty value"};
      return false;
    }
    if (key == "target" || key == "address") {
      err = {col, "tag " + std::string(key) + " is set by the plugin itself; choose another key"};
      return false;
    }
    for (const auto& t : tags)
      if (t.key == key) {
        err = {col, "tag " + std::string(key) + " is given twice"};
        return false;
      }
    tags.push_back({std::string(key), std::string(value)});
  }
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  out.tags = std::move(tags);
  return true;
}

std::vector<TargetSpec> parse_targets_text(std::string_view text, const std::string& file, const std::string& option,
                                           NameRule rule) {
  std::vector<TargetSpec> out;
  std::set<std::string> seen;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    ++lineno;
    TargetSpec t;
    LineError err;
    if (!parse_target_line(line, t, err, rule)) throw ConfigError(file, lineno, err.column, option, err.message);
    if (!t.name.empty()) {
      t.origin = file + ":" + std::to_string(lineno);
      if (!seen.insert(identity(t)).second)
        throw ConfigError(file, lineno, 1, option, "target " + t.name + " is listed twice with the same tags");
      out.push_back(std::move(t));
    }
    if (nl == text.size()) break;
    pos = nl + 1;
  }
  return out;
}

std::vector<TargetSpec> read_targets_file(const std::string& path, const std::string& option, NameRule rule) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError(path, 0, 0, option, std::string("cannot read targets file: ") + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_targets_text(ss.str(), path, option, rule);
}

std::vector<TargetSpec> read_inline_targets(const Options& o, const std::string& key, NameRule rule) {
  std::vector<TargetSpec> out;
  YAML::Node list = o.raw(key);
  if (!list.IsDefined() || list.IsNull()) return out;
  const std::string& file = o.file();
  if (!list.IsSequence())
    throw config_error_at(file, list, o.path() + "." + key, "expected a list of targets, got " + describe_node(list));
  auto fileptr = std::make_shared<const std::string>(file);
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string path = o.path() + "." + key + "[" + std::to_string(i) + "]";
    TargetSpec t;
    if (n.IsScalar()) {
      LineError err;
      if (!parse_target_line(n.Scalar(), t, err, rule) || t.name.empty()) {
        auto mark = n.Mark();
        int col = mark.column + 1;
        // A plain scalar starts at its mark; a quoted one one character later.
        if (err.column > 0) col += err.column - 1 + (n.Tag() == "!" ? 1 : 0);
        throw ConfigError(file, mark.line + 1, col, path,
                          t.name.empty() && err.message.empty() ? "empty target" : err.message);
      }
    } else if (n.IsMap()) {
      Options entry(n, path, fileptr);
      const char* nk = name_key(rule);
      auto addr = entry.get_optional_string(nk);
      YAML::Node tags = entry.raw("tags");
      entry.check_unknown();
      if (!addr)
        throw entry.error("", rule == NameRule::device ? "needs device: a MAC address, IP address or device identity"
                                                       : "needs address: an IPv4/IPv6 address or a host name");
      if (!valid_name(*addr, rule)) throw entry.error(nk, name_problem(*addr, rule));
      t.name = *addr;
      if (tags.IsDefined() && !tags.IsNull()) {
        if (!tags.IsMap()) throw entry.error("tags", "expected a map of tag: value, got " + describe_node(tags));
        for (auto it = tags.begin(); it != tags.end(); ++it) {
          std::string k = it->first.as<std::string>();
          if (!it->second.IsScalar())
            throw config_error_at(file, it->second, path + ".tags." + k,
                                  "expected a string, got " + describe_node(it->second));
          std::string v = it->second.Scalar();
          if (!valid_tag_key(k)) throw config_error_at(file, it->first, path + ".tags", "bad tag key " + describe(k));
          if (k == "target" || k == "address")
            throw config_error_at(file, it->first, path + ".tags", "tag " + k + " is set by the plugin itself");
          if (v.empty()) throw config_error_at(file, it->second, path + ".tags." + k, "empty tag value");
          t.tags.push_back({k, v});
        }
        std::sort(t.tags.begin(), t.tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
      }
    } else {
      throw config_error_at(
          file, n, path,
          std::string(rule == NameRule::device ? "expected a device string or {device: ..., tags: {...}}, got "
                                               : "expected an address string or {address: ..., tags: {...}}, got ") +
              describe_node(n));
    }
    auto mark = n.Mark();
    t.origin = file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    if (!seen.insert(identity(t)).second)
      throw config_error_at(file, n, path, "target " + t.name + " is listed twice with the same tags");
    out.push_back(std::move(t));
  }
  return out;
}

void merge_targets(std::vector<TargetSpec>& all, const std::vector<TargetSpec>& more) {
  std::set<std::string> seen;
  for (const auto& t : all) seen.insert(identity(t));
  for (const auto& t : more)
    if (seen.insert(identity(t)).second) all.push_back(t);
}

}  // namespace routerpulse::targets
