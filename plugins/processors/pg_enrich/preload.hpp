// pg_enrich — one run of `preload_query` on a session of its own.
//
// The preload may return tens of thousands of rows; running it on the lookup
// session would hold every pipelined lookup behind it (PostgreSQL answers a
// pipeline in order). So each run opens its own non-blocking connection,
// sends the query (PQsendQueryParams, text results), hands the whole result
// to `done` and closes. A run that takes longer than `preload_timeout` is
// abandoned with an error.
// Threading: call on `strand`; `done` is called there exactly once.
#pragma once

#include <functional>

#include "pg_result.hpp"
#include "routerpulse/plugin.hpp"
#include "settings.hpp"

namespace routerpulse::pg_enrich {

void run_preload(Strand strand, const Settings& s, std::function<void(PgResult)> done);

}  // namespace routerpulse::pg_enrich
