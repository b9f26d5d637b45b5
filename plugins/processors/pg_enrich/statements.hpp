// pg_enrich — preparing and checking the configured SQL on a new session.
//
// On every new session — the first one at start-up is the processor's SQL
// check — the lookup `query` is prepared once (PQsendPrepare) and described
// (PQsendDescribePrepared); the description must show exactly one parameter
// and every column named under `tags`/`fields`. `preload_query`, when set, is
// checked the same way with no parameters (its first column is the key).
// Doing this once per session means a typo in a column name is reported with
// PostgreSQL's own message instead of failing every lookup.
// Threading: runs on the connection's strand; `done` is called there once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pg_shared.hpp"
#include "row_mapper.hpp"
#include "settings.hpp"

namespace routerpulse::pg_enrich {

struct SetupResult {
  std::string error;                 ///< empty: both statements are prepared and bound
  bool sql_error = false;            ///< the SQL itself is wrong (configuration), not the connection
  std::string option;                ///< the option at fault when sql_error: "query" or "preload_query"
  RowMapper lookup;                  ///< bound to the lookup statement's columns
  std::optional<RowMapper> preload;  ///< bound to the preload statement's columns
};

/// Prepares and checks the statements of `s` on the ready connection `conn`.
void setup_statements(std::shared_ptr<PgConnection> conn, const Settings& s, std::function<void(SetupResult)> done);

/// A server message on one line (libpq's multi-line text joined with "; ").
std::string one_line(const std::string& msg);

}  // namespace routerpulse::pg_enrich
