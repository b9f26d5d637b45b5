// pg_enrich — the processor's options, parsed and checked once.
//
// Every option, its default and its range are declared in PgEnrich::options
// (pg_enrich.hpp); the README's Options table lists them. Settings::read is
// pure — it parses the DSN with libpq's PQconninfoParse, checks the columns and
// renames, and never connects — so it serves both PgEnrich::validate (what
// `routerpulse check` runs) and the constructor.
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
  std::string dsn;                           ///< libpq conninfo or URI
  std::string key_tag;                       ///< metric tag holding the lookup key
  std::string query;                         ///< lookup SQL with exactly one parameter `$1`
  std::vector<ColumnSpec> columns;           ///< `tags` then `fields`, with `rename` applied
  std::optional<std::string> preload_query;  ///< SQL without parameters; key in the first column
  Duration refresh_interval{};               ///< preload period; 0 = only on connect
  Duration preload_timeout{};                ///< a preload run is abandoned after this
  Duration ttl{};                            ///< positive entry lifetime
  Duration negative_ttl{};                   ///< "no such key" lifetime; 0 = not cached
  Duration lookup_timeout{};                 ///< max hold of a batch; 0 = never wait
  OnMiss on_miss = OnMiss::tag;
  std::optional<std::string> listen_channel;  ///< LISTEN channel for invalidations
  Duration connect_timeout{};
  Duration query_timeout{};  ///< an unanswered request → reconnect
  Duration reconnect_initial{};
  Duration reconnect_max{};
  size_t max_in_flight = 0;  ///< lookups on the wire at once
  size_t max_pending = 0;    ///< lookups waiting for a wire slot
  size_t cache_max_entries = 0;
  Duration error_log_interval{};

  /// Reads every option of `o` (which must carry PgEnrich::options); throws
  /// ConfigError. Pure: no connection, no file, no thread.
  static Settings read(const Options& o);
};

/// Statement names on the connection (prepared once per session).
inline constexpr const char* kLookupStatement = "routerpulse_pg_enrich_lookup";
inline constexpr const char* kPreloadStatement = "routerpulse_pg_enrich_preload";

}  // namespace routerpulse::pg_enrich
