// pg_enrich — the processor's options, read and checked once at construction.
//
// Every option, its default and its meaning is listed in README.md. Reading
// goes through routerpulse::Options, so a wrong type or value raises a
// ConfigError naming file, line, column and option path.
// Threading: a plain value type, built on the constructing thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "routerpulse/config.hpp"
#include "row_mapper.hpp"

namespace routerpulse::pg_enrich {

enum class OnMiss { pass, drop, tag };

struct Settings {
  std::string dsn;                    ///< libpq conninfo or URI (required)
  std::string key_tag;                ///< metric tag holding the lookup key (required)
  std::string query;                  ///< lookup SQL with exactly one parameter `$1` (required)
  std::vector<ColumnSpec> columns;    ///< `tags` then `fields`, with `rename` applied
  std::optional<std::string> preload_query;  ///< SQL without parameters; key in the first column
  Duration refresh_interval = std::chrono::minutes(5);  ///< preload period; 0 = only on connect
  Duration preload_timeout = std::chrono::minutes(1);   ///< a preload run is abandoned after this
  Duration ttl = std::chrono::minutes(5);               ///< positive entry lifetime (> 0)
  Duration negative_ttl = std::chrono::seconds(30);     ///< "no such key" lifetime; 0 = not cached
  Duration lookup_timeout = std::chrono::milliseconds(50);  ///< max hold of a batch; 0 = never wait
  OnMiss on_miss = OnMiss::tag;
  std::optional<std::string> listen_channel;  ///< LISTEN channel for invalidations
  Duration connect_timeout = std::chrono::seconds(5);
  Duration query_timeout = std::chrono::seconds(5);     ///< an unanswered request → reconnect
  Duration reconnect_min = std::chrono::milliseconds(500);
  Duration reconnect_max = std::chrono::seconds(30);
  size_t max_in_flight = 256;        ///< lookups on the wire at once
  size_t max_pending = 100000;       ///< lookups waiting for a wire slot
  size_t cache_max_entries = 1000000;
  Duration error_log_interval = std::chrono::minutes(1);
  bool validate = true;                               ///< check the SQL at construction
  Duration validate_timeout = std::chrono::seconds(2);

  /// Reads every option from `o`; throws ConfigError.
  static Settings read(const Options& o);
};

/// Statement names on the connection (prepared once per session).
inline constexpr const char* kLookupStatement = "routerpulse_pg_enrich_lookup";
inline constexpr const char* kPreloadStatement = "routerpulse_pg_enrich_preload";

}  // namespace routerpulse::pg_enrich
