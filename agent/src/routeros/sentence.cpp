// RouterOS API commands and replies (see routerpulse/routeros/sentence.hpp).
#include "routerpulse/routeros/sentence.hpp"

#include <charconv>
#include <stdexcept>

#include "routerpulse/routeros/codec.hpp"

namespace routerpulse::routeros {

Command::Command(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_[0] != '/')
    throw std::invalid_argument("RouterOS API command must start with '/': \"" + path_ + "\"");
}

Command& Command::attr(std::string key, std::string value) {
  if (key.empty()) throw std::invalid_argument("RouterOS API attribute key must not be empty");
  attrs_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Command& Command::proplist(const std::vector<std::string>& names) {
  proplist_ = names;
  return *this;
}

Command& Command::query(std::string word) {
  if (word.empty() || word[0] != '?')
    throw std::invalid_argument("RouterOS API query word must start with '?': \"" + word + "\"");
  queries_.push_back(std::move(word));
  return *this;
}

namespace {
std::string join_proplist(const std::vector<std::string>& names) {
  std::string s = ".proplist=";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += ',';
    s += names[i];
  }
  return s;
}
}  // namespace

std::vector<std::string> Command::words(std::string_view tag) const {
  std::vector<std::string> w;
  w.reserve(2 + attrs_.size() + queries_.size() + 1);
  w.push_back(path_);
  for (const auto& [k, v] : attrs_) {
    std::string word;
    word.reserve(k.size() + v.size() + 2);
    word += '=';
    word += k;
    word += '=';
    word += v;
    w.push_back(std::move(word));
  }
  if (!proplist_.empty()) w.push_back(join_proplist(proplist_));
  for (const auto& q : queries_) w.push_back(q);
  if (!tag.empty()) w.push_back(".tag=" + std::string(tag));
  return w;
}

void Command::encode(std::string& out, std::string_view tag) const {
  auto w = words(tag);
  append_sentence(out, std::span<const std::string>(w));
}

std::string Command::to_string() const {
  std::string s = path_;
  for (const auto& [k, v] : attrs_) s += " =" + k + "=" + v;
  if (!proplist_.empty()) s += " " + join_proplist(proplist_);
  for (const auto& q : queries_) s += " " + q;
  return s;
}

const char* to_string(ReplyType t) noexcept {
  switch (t) {
    case ReplyType::re: return "!re";
    case ReplyType::done: return "!done";
    case ReplyType::trap: return "!trap";
    case ReplyType::fatal: return "!fatal";
    case ReplyType::empty: return "!empty";
  }
  return "?";
}

const std::string* Reply::get(std::string_view key) const noexcept {
  for (const auto& [k, v] : attributes)
    if (k == key) return &v;
  return nullptr;
}

std::string Reply::get_or(std::string_view key, std::string_view def) const {
  const auto* v = get(key);
  return v ? *v : std::string(def);
}

std::string Reply::message() const {
  if (type == ReplyType::trap) return get_or("message");
  if (type == ReplyType::fatal) {
    std::string s;
    for (const auto& w : other_words) {
      if (!s.empty()) s += ' ';
      s += w;
    }
    if (s.empty()) s = get_or("message");
    return s;
  }
  return {};
}

int Reply::category() const noexcept {
  const auto* v = get("category");
  if (!v) return -1;
  int c = -1;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), c);
  if (ec != std::errc() || p != v->data() + v->size()) return -1;
  return c;
}

bool split_attribute(std::string_view word, std::string_view& key, std::string_view& value) noexcept {
  if (word.size() < 2 || word[0] != '=') return false;
  size_t eq = word.find('=', 1);
  if (eq == std::string_view::npos) return false;
  key = word.substr(1, eq - 1);
  value = word.substr(eq + 1);
  return true;
}

bool RowView::get(std::string_view key, std::string_view& value) const noexcept {
  for (size_t i = 1; i < words.size(); ++i) {
    std::string_view k, v;
    if (split_attribute(words[i], k, v) && k == key) {
      value = v;
      return true;
    }
  }
  value = {};
  return false;
}

Reply parse_reply(std::span<const std::string_view> words) {
  if (words.empty()) throw ProtocolError("RouterOS API protocol error: empty reply sentence");
  Reply r;
  const std::string_view head = words[0];
  if (head == "!re")
    r.type = ReplyType::re;
  else if (head == "!done")
    r.type = ReplyType::done;
  else if (head == "!trap")
    r.type = ReplyType::trap;
  else if (head == "!fatal")
    r.type = ReplyType::fatal;
  else if (head == "!empty")
    r.type = ReplyType::empty;
  else {
    std::string shown(head.substr(0, 64));
    for (auto& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    throw ProtocolError("RouterOS API protocol error: unexpected reply word \"" + shown + "\"");
  }
  r.attributes.reserve(words.size() - 1);
  for (size_t i = 1; i < words.size(); ++i) {
    std::string_view w = words[i];
    std::string_view k, v;
    if (split_attribute(w, k, v)) {
      r.attributes.emplace_back(std::string(k), std::string(v));
    } else if (w.size() >= 5 && w.substr(0, 5) == ".tag=") {
      r.tag.assign(w.substr(5));
    } else {
      r.other_words.emplace_back(w);
    }
  }
  return r;
}

}  // namespace routerpulse::routeros
