// pg_enrich — the shared non-blocking PostgreSQL connection
// (plugins/common/pg), named inside this plugin's namespace.
#pragma once

#include "pg/pg_connection.hpp"
#include "pg/pg_dsn.hpp"
#include "pg/pg_result.hpp"

namespace routerpulse::pg_enrich {

using pg::DsnError;
using pg::DsnInfo;
using pg::parse_dsn;
using pg::PgConnection;
using pg::PgResult;
using pg::PgResultDeleter;
using pg::PgResultPtr;
using pg::quote_identifier;

}  // namespace routerpulse::pg_enrich
