// plugins/common — an owned libpq result plus the error text of a failed request.
//
// Threading: a plain move-only value; used on the owning component's strand.
#pragma once

#include <memory>
#include <string>

#include <libpq-fe.h>

namespace routerpulse::pg {

/// Deleter so std::unique_ptr frees a PGresult with PQclear.
struct PgResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

/// The outcome of one request sent on a PgConnection. `ok()` when the server
/// answered with PGRES_TUPLES_OK or PGRES_COMMAND_OK. Otherwise `error` holds
/// the server's message (PQresultErrorMessage, e.g. `ERROR:  column "x" does
/// not exist`) or the connection failure, and `connection_error` tells the two
/// apart (true: the request never got an answer because the connection failed).
struct PgResult {
  PgResultPtr res;
  std::string error;
  bool connection_error = false;

  bool ok() const noexcept { return res && error.empty(); }
  /// Convenience for a failure that has no PGresult.
  static PgResult failed(std::string why, bool connection) {
    PgResult r;
    r.error = std::move(why);
    r.connection_error = connection;
    return r;
  }
};

}  // namespace routerpulse::pg
