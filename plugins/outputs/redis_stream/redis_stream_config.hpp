// redis_stream — the output's settings, parsed from its declared options.
//
// The option table (RedisStreamOutput::options) holds every option once with
// its default, type and range; the engine checks those before anything runs.
// read_config() turns the checked options into settings and applies the rules
// the table cannot express (URL syntax, key template syntax, cross-field
// rules). It is pure: RedisStreamOutput::validate (what `routerpulse check`
// runs) and the constructor both call it. Throws ConfigError naming the option.
// Threading: construction-time only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "redis_url.hpp"
#include "routerpulse/config.hpp"

namespace routerpulse::redis {

/// How a metric becomes the field/value pairs of one stream entry.
enum class EntryFormat {
  json,    ///< one field `data` = the metric as JSON {name,tags,fields,time}
  fields,  ///< flat pairs: name, time, every tag, every field
};

/// Where and how to connect. The defaults of every setting are in the option
/// table only (RedisStreamOutput::options); these structs start zeroed.
struct ConnectionSettings {
  RedisEndpoint endpoint;        ///< url, with username/password/db options applied
  Duration connect_timeout{};    ///< resolve + connect + handshake
  Duration command_timeout{};    ///< pending commands without any reply → reconnect
  Duration reconnect_initial{};  ///< reconnect backoff: first delay (doubling, ±20 % jitter)
  Duration reconnect_max{};      ///< reconnect backoff: cap
  /// TCP keepalive (hiredis redisEnableKeepAlive: probes after 15 s idle), so
  /// a peer that vanished without RST is noticed even with nothing pending.
  bool tcp_keepalive = true;
};

struct RedisStreamConfig {
  ConnectionSettings connection;
  std::string stream;             ///< stream key template (stream_key.hpp)
  std::string missing_tag_value;  ///< replaces a tag the template needs but the metric lacks
  EntryFormat format = EntryFormat::json;
  std::string tag_prefix;               ///< `fields` format: prefix for tag keys
  std::string field_prefix;             ///< `fields` format: prefix for field keys
  int64_t maxlen = 0;                   ///< XADD MAXLEN threshold; 0 = no MAXLEN trimming
  std::optional<Duration> minid_age;    ///< XADD MINID = now - age (replaces MAXLEN)
  bool approximate_trim = false;        ///< `~` (efficient, whole macro nodes) vs `=` (exact)
  std::string consumer_group;           ///< created with XGROUP CREATE … MKSTREAM; empty = none
  std::string consumer_group_start_id;  ///< ID the group starts from when created
};

/// Reads the declared options (already checked against the table) and checks
/// the rest. Pure: no connection, no file, no thread. Throws ConfigError.
RedisStreamConfig read_config(const Options& o);

}  // namespace routerpulse::redis
