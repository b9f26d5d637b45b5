// redis_stream — turns one Metric into one XADD command, RESP-encoded.
//
//   XADD <key> [MAXLEN|MINID <~|=> <threshold>] * <field> <value> [...]
// (https://redis.io/commands/xadd/; MINID needs Redis ≥ 6.2). The entry ID is
// always `*`: Redis assigns <ms>-<seq>, so IDs grow in write order.
// The command is written directly as a RESP array of bulk strings
// (https://redis.io/docs/reference/protocol-spec/), ready for
// redisAsyncFormattedCommand, which spares hiredis' generic formatter.
//
// Entry layout (the contract consumers rely on; see README.md):
//   format json   → data = {"name":…,"tags":{…},"fields":{…},"time":<ns>}
//                   (routerpulse::append_json; invalid UTF-8 → U+FFFD, NaN/Inf → null)
//   format fields → name <name>, time <ns>, <tag_prefix><tag> <value> …,
//                   <field_prefix><field> <value> … with integers in decimal,
//                   doubles in shortest round-trip form, booleans as
//                   true/false, strings verbatim (binary-safe).
// Numbers are written with routerpulse::append_number (format.hpp). Non-finite
// doubles: `fields` writes NaN / +Inf / -Inf (NonFinite::prometheus, the
// documented policy for Redis stream entry fields); `json` writes null
// (RFC 8259 has no NaN/Infinity). README.md documents both for consumers.
//
// Threading: one encoder per output, used on its strand. command() stays
// valid until the next encode().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "redis_stream_config.hpp"
#include "routerpulse/metric.hpp"

namespace routerpulse::redis {

class XaddEncoder {
 public:
  explicit XaddEncoder(const RedisStreamConfig& cfg);

  /// Computes the MINID threshold (when minid_age is set) for the commands
  /// of one batch; `now_ms` is the component clock's wall time in Unix milliseconds.
  void begin_batch(int64_t now_ms);

  /// Builds the XADD for `m` into `key`'s stream; read it with command().
  void encode(const Metric& m, std::string_view key);

  /// The last encoded command as RESP bytes.
  const std::string& command() const noexcept { return out_; }

 private:
  void array(size_t n);
  void bulk(std::string_view s);
  void bulk2(std::string_view a, std::string_view b);  // bulk of a+b

  EntryFormat format_;
  std::string tag_prefix_, field_prefix_;
  std::string trim_kind_;       // "MAXLEN" / "MINID" / empty
  std::string trim_op_;         // "~" / "="
  std::string trim_threshold_;  // count, or the MINID in ms
  int64_t minid_age_ms_ = 0;

  std::string out_;      // the RESP command
  std::string scratch_;  // JSON payload / formatted value
};

/// Appends a field value as text the way the `fields` format writes it.
void append_field_text(std::string& out, const FieldValue& v);

}  // namespace routerpulse::redis
