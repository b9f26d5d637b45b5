// pg_enrich — the synchronous SQL check run by the constructor (`validate`).
//
// `routerpulse check` and agent start-up construct every component, so a
// wrong column name in `query` should fail there with PostgreSQL's message.
// validate_now() connects on a private io_context (the agent's loop is not
// touched), prepares and describes the statements (see statements.hpp) and
// gives up after `validate_timeout`. It blocks the calling thread for at most
// that long; it is only ever called from the constructor.
#pragma once

#include <string>

#include "settings.hpp"

namespace routerpulse::pg_enrich {

struct ValidationOutcome {
  enum class Kind {
    ok,           ///< both statements prepared and have the expected shape
    unreachable,  ///< could not connect or no answer in time: check skipped
    sql_error,    ///< PostgreSQL rejected the SQL or a column is missing
  };
  Kind kind = Kind::unreachable;
  std::string message;  ///< why, for unreachable and sql_error
  std::string option;   ///< sql_error: "query" or "preload_query"
};

/// Runs the check described above. Never throws for database problems.
ValidationOutcome validate_now(const Settings& s);

}  // namespace routerpulse::pg_enrich
