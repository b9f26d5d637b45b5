// pg_enrich — the processor's self-metrics, registered through the context's
// SelfMetricsScope: named `routerpulse_pg_enrich_<name>` on /metrics (and
// `internal_pg_enrich` from the internal input), labelled by the engine with
// the instance (`processor=<id>`, `pipeline=<name>`), so one processor id used
// in two pipelines keeps two sets of series. README.md lists them.
// Threading: the registry's series are atomics.
#pragma once

#include "routerpulse/stats.hpp"

namespace routerpulse::pg_enrich {

struct EnrichStats {
  Counter& cache_hits;         ///< metrics whose key had a fresh cache entry
  Counter& cache_misses;       ///< metrics whose key needed the database
  Counter& queries;            ///< lookup queries sent to PostgreSQL
  Counter& lookup_errors;      ///< lookups that got no answer (down, lost, SQL error, backlog full)
  Counter& lookup_timeouts;    ///< batches released at lookup_timeout with lookups outstanding
  Counter& enriched;           ///< metrics that got tags/fields
  Counter& missed;             ///< metrics with a key but no enrichment (on_miss applied)
  Counter& dropped;            ///< metrics dropped by on_miss: drop
  Counter& invalidations;      ///< NOTIFY messages that invalidated cache entries
  Counter& preloads;           ///< completed preload runs
  Counter& preload_errors;     ///< failed preload runs
  Counter& connection_errors;  ///< failed connects and lost connections
  Counter& sql_errors;         ///< sessions refused because the configured SQL is wrong
  Gauge& connected;            ///< 1 while a session is usable, else 0
  Gauge& sql_ok;               ///< 1 once PostgreSQL accepted query/preload_query, 0 while rejected
  Gauge& cache_entries;        ///< entries in the cache (fresh and stale)
  Gauge& preload_rows;         ///< rows loaded by the last preload
  Histogram& query_duration;   ///< seconds from sending a lookup to its answer

  explicit EnrichStats(const SelfMetricsScope& m)
      : cache_hits(m.counter("cache_hits_total", "Metrics enriched from a fresh cache entry")),
        cache_misses(m.counter("cache_misses_total", "Metrics whose key was not freshly cached")),
        queries(m.counter("queries_total", "Lookup queries sent to PostgreSQL")),
        lookup_errors(m.counter("lookup_errors_total", "Lookups that got no answer from PostgreSQL")),
        lookup_timeouts(m.counter("lookup_timeouts_total", "Batches released at lookup_timeout with lookups pending")),
        enriched(m.counter("metrics_enriched_total", "Metrics that received customer tags/fields")),
        missed(m.counter("metrics_missed_total", "Metrics with a key but no enrichment")),
        dropped(m.counter("metrics_dropped_total", "Metrics dropped by on_miss: drop")),
        invalidations(m.counter("invalidations_total", "NOTIFY messages that invalidated cache entries")),
        preloads(m.counter("preloads_total", "Completed preload_query runs")),
        preload_errors(m.counter("preload_errors_total", "Failed preload_query runs")),
        connection_errors(m.counter("connection_errors_total", "Failed connects and lost PostgreSQL sessions")),
        sql_errors(m.counter("sql_errors_total", "SQL checks in which PostgreSQL rejected query/preload_query")),
        connected(m.gauge("connected", "1 while the PostgreSQL session is usable")),
        sql_ok(m.gauge("sql_ok", "1 once PostgreSQL accepted query/preload_query, 0 until then or while rejected")),
        cache_entries(m.gauge("cache_entries", "Keys in the enrichment cache")),
        preload_rows(m.gauge("preload_rows", "Rows loaded by the last preload")),
        query_duration(m.histogram("query_duration_seconds", "Lookup query round-trip time")) {}
};

}  // namespace routerpulse::pg_enrich
