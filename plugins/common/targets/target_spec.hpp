// plugins/common — one probe target as configured: an address or host name
// plus its own tags, and the parsers for the three ways to list them.
//
// Used by inputs that probe a list of hosts (icmp, arp_presence).
//
// Line format (targets files and the text form of inline entries):
//   # comment
//   10.20.0.1
//   cpe-1042.isp.example site=north plan=home_100
// i.e. an address or host name, then zero or more `key=value` tags separated by
// blanks; `#` starts a comment anywhere outside a tag value. An address is an
// IPv4 dotted quad or an IPv6 address (RFC 4291 §2.2 text forms, as accepted by
// inet_pton(3)); a host name follows RFC 1123 §2.1 (labels of letters, digits
// and `-`, 1–63 characters, not starting or ending with `-`, 253 characters at
// most, an optional final dot). A name made only of digits and dots is not a
// host name (RFC 1123 §2.1 again), so `10.0.0.300` is an error, not a lookup.
//
// Threading: plain values and pure functions; safe anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routerpulse/config.hpp"
#include "routerpulse/metric.hpp"

namespace routerpulse::targets {

/// One target. `name` is what was configured (an address or a host name).
struct TargetSpec {
  std::string name;
  TagList tags;        ///< sorted by key, unique keys
  std::string origin;  ///< where it was defined, for messages: `targets.txt:12`, `agent.yaml:8:7`, `query row 3`
  bool operator==(const TargetSpec& o) const { return name == o.name && tags == o.tags; }
};

enum class AddressKind { ipv4, ipv6, hostname, invalid };

/// What the first word of a target (its name) may be.
enum class NameRule {
  address,  ///< an IPv4/IPv6 address or a host name (inputs that probe: icmp)
  /// A device key (inventories: neighbors): a MAC address, an IP address or a
  /// device identity — any word of 1–253 bytes without blanks, control
  /// characters, `#` or `=`. Inline map entries spell it `device:` and the
  /// query returns it in a `device` column.
  device,
};

/// Whether `word` is a valid name under `rule`.
bool valid_name(std::string_view word, NameRule rule);
/// "address" or "device": the map key and query column of the name.
const char* name_key(NameRule rule) noexcept;

/// What `text` is (see the header comment for the rules).
AddressKind classify_address(std::string_view text);

/// A text problem at a 1-based column of one line (0 = the whole line).
struct LineError {
  int column = 0;
  std::string message;
};

/// Parses one line. Returns false and fills `err` when it is not valid; true
/// with `out.name` empty for a blank or comment line.
bool parse_target_line(std::string_view line, TargetSpec& out, LineError& err, NameRule rule = NameRule::address);

/// Parses a whole targets file's text. `file` names it in errors and origins.
/// Throws ConfigError(file, line, column, option, message) for the first bad
/// line or a duplicate target (same name and tags); `option` is the option
/// that named the file (e.g. `inputs.icmp.targets_file`).
std::vector<TargetSpec> parse_targets_text(std::string_view text, const std::string& file, const std::string& option,
                                           NameRule rule = NameRule::address);

/// Reads and parses a targets file. Throws ConfigError (also when unreadable).
std::vector<TargetSpec> read_targets_file(const std::string& path, const std::string& option,
                                          NameRule rule = NameRule::address);

/// Reads the inline list option `key` of `o`: each entry is a string in the
/// line format (`"10.0.0.1 site=north"`) or a map `{address: ..., tags: {k: v}}`.
/// Throws ConfigError at the entry's own line and column. Absent → empty.
std::vector<TargetSpec> read_inline_targets(const Options& o, const std::string& key,
                                            NameRule rule = NameRule::address);

/// Appends `more` to `all`, dropping entries equal to one already present.
void merge_targets(std::vector<TargetSpec>& all, const std::vector<TargetSpec>& more);

}  // namespace routerpulse::targets
