// routerpulse — RouterOS API sentences: commands the client sends, replies it gets.
//
// Protocol source: MikroTik "API" manual (https://help.mikrotik.com/docs/display/ROS/API):
//  - command word: the menu path plus verb, e.g. `/interface/print`;
//  - attribute words `=key=value` (value may be empty and may contain `=`;
//    everything after the second `=` is the value, byte for byte);
//  - API attribute words start with `.`: `.tag=` (multiplexing), `.proplist=`
//    (comma-separated property names to return);
//  - query words start with `?`: `?name=ether1`, `?type`, `?-disabled`,
//    `?<mtu=1500`, `?>mtu=1500`, `?#|` (stack operations);
//  - reply words: `!re` (one data row), `!done` (command finished), `!trap`
//    (error, with `=category=` and `=message=`), `!fatal` (connection is being
//    closed; the reason follows as a plain word), `!empty` (RouterOS 7.18+: the
//    command has no rows; `!done` follows).
//
// Threading: plain value types, not synchronised.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace routerpulse::routeros {

/// Ordered `key → value` pairs of a sentence, as sent (duplicates possible).
using Attributes = std::vector<std::pair<std::string, std::string>>;

/// A command to send. `.tag` is never set here: the Session assigns it.
///
///   Command("/interface/print").attr("stats").proplist({"name", "rx-byte"})
///   Command("/interface/monitor-traffic").attr("interface", "ether1,ether2")
///   Command("/ip/arp/print").query("?interface=bridge1")
class Command {
 public:
  Command() = default;
  /// `path` is the command word, e.g. `/ppp/active/print`. It must start with
  /// `/` (throws std::invalid_argument otherwise).
  explicit Command(std::string path);

  /// Adds `=key=value`. An empty value is sent as `=key=` (RouterOS reads it
  /// as a flag such as `=stats=` or `=once=`).
  Command& attr(std::string key, std::string value = {});
  /// Adds `.proplist=a,b,c`; replaces an earlier proplist.
  Command& proplist(const std::vector<std::string>& names);
  /// Adds a raw query word; `word` must start with `?` (throws
  /// std::invalid_argument otherwise), e.g. `?name=ether1` or `?#|`.
  Command& query(std::string word);

  const std::string& path() const noexcept { return path_; }
  const Attributes& attributes() const noexcept { return attrs_; }
  const std::vector<std::string>& queries() const noexcept { return queries_; }
  /// Property names of `.proplist`, empty when not set.
  const std::vector<std::string>& proplist_names() const noexcept { return proplist_; }

  /// The words to send, in order: path, attributes, `.proplist`, queries, and
  /// `.tag=<tag>` when `tag` is not empty. Empty attribute keys are rejected
  /// with std::invalid_argument.
  std::vector<std::string> words(std::string_view tag = {}) const;

  /// Appends the encoded sentence (see codec.hpp) to `out`.
  void encode(std::string& out, std::string_view tag = {}) const;

  /// Human-readable form for logs: `/interface/print =stats= .proplist=name`.
  std::string to_string() const;

 private:
  std::string path_;
  Attributes attrs_;
  std::vector<std::string> proplist_;
  std::vector<std::string> queries_;
};

/// The reply word of a sentence.
enum class ReplyType : uint8_t {
  re,     ///< `!re`: one data row
  done,   ///< `!done`: the command finished (may carry `=ret=`)
  trap,   ///< `!trap`: the command failed; `!done` follows
  fatal,  ///< `!fatal`: the router closes the connection
  empty,  ///< `!empty`: no rows (RouterOS 7.18+); `!done` follows
};

/// "!re", "!done", "!trap", "!fatal", "!empty".
const char* to_string(ReplyType t) noexcept;

/// One decoded reply sentence.
struct Reply {
  ReplyType type = ReplyType::done;
  std::string tag;                       ///< value of `.tag=`, empty when untagged
  Attributes attributes;                 ///< `=key=value` words, in order (`=.id=*1` → key `.id`)
  std::vector<std::string> other_words;  ///< any other word, e.g. the reason after `!fatal`

  /// The first attribute named `key`, or nullptr.
  const std::string* get(std::string_view key) const noexcept;
  /// The attribute's value or `def`.
  std::string get_or(std::string_view key, std::string_view def = {}) const;
  /// `!trap`: the `=message=` text; `!fatal`: the reason word(s); else empty.
  std::string message() const;
  /// `!trap`: `=category=` as a number (0–7, see the API manual), -1 if absent.
  int category() const noexcept;
};

/// A `!re` row as the decoder delivered it, without copying: views into the
/// session's read buffer, valid only during the callback that receives it
/// (StreamOptions::on_row). words[0] is "!re"; `.tag=` is among the words.
struct RowView {
  std::span<const std::string_view> words;

  /// Calls fn(key, value) for every `=key=value` word, in order.
  template <class F>
  void for_each_attribute(F&& fn) const;
  /// The first attribute named `key`; empty and false when absent.
  bool get(std::string_view key, std::string_view& value) const noexcept;
};

/// Parses one decoded sentence (as delivered by Decoder) into a Reply.
/// Throws ProtocolError (codec.hpp) when the sentence is empty or its first
/// word is not one of the five reply words.
Reply parse_reply(std::span<const std::string_view> words);

/// Splits an attribute word `=key=value` into key and value. Returns false
/// when `word` is not of that form (no leading `=`, or no second `=`).
bool split_attribute(std::string_view word, std::string_view& key, std::string_view& value) noexcept;

template <class F>
void RowView::for_each_attribute(F&& fn) const {
  for (size_t i = 1; i < words.size(); ++i) {
    std::string_view k, v;
    if (split_attribute(words[i], k, v)) fn(k, v);
  }
}

}  // namespace routerpulse::routeros
