// redis_stream — the output's options (README.md documents each one).
//
// read_config() reads every option through routerpulse::Options, so unknown
// keys and wrong types are reported with file:line:col; invalid values throw
// ConfigError naming the option. Engine-level keys (batch_size,
// flush_interval, buffer_limit, timeout, retry_initial, retry_max) are read by
// the engine, not here.
// Threading: construction-time only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "redis_client.hpp"
#include "routerpulse/config.hpp"

namespace routerpulse::redis {

/// How a metric becomes the field/value pairs of one stream entry.
enum class EntryFormat {
  json,    ///< one field `data` = the metric as JSON {name,tags,fields,time}
  fields,  ///< flat pairs: name, time, every tag, every field
};

struct RedisStreamConfig {
  RedisClientOptions client;                 ///< url, credentials, timeouts, reconnect backoff
  std::string stream = "routerpulse:{name}"; ///< stream key template (stream_key.hpp)
  std::string missing_tag_value = "unknown"; ///< replaces a tag the template needs but the metric lacks
  EntryFormat format = EntryFormat::json;
  std::string tag_prefix;                    ///< `fields` format: prefix for tag keys
  std::string field_prefix;                  ///< `fields` format: prefix for field keys
  int64_t maxlen = 100000;                   ///< XADD MAXLEN threshold; 0 = no MAXLEN trimming
  std::optional<Duration> minid_age;         ///< XADD MINID = now - age (replaces MAXLEN)
  bool approximate_trim = true;              ///< `~` (efficient, whole macro nodes) vs `=` (exact)
  std::string consumer_group;                ///< created with XGROUP CREATE … MKSTREAM; empty = none
  std::string consumer_group_start_id = "$"; ///< ID the group starts from when created
};

/// Reads and validates the options. Throws ConfigError.
RedisStreamConfig read_config(const Options& o);

}  // namespace routerpulse::redis
