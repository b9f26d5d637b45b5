// pg_enrich — the processor's self-metrics (subsystem `pg_enrich`, label
// `processor=<component id>`), exported as `routerpulse_pg_enrich_<name>` on
// /metrics and as `internal_pg_enrich` by the internal input. README.md lists
// them with their meaning. Threading: the registry's series are atomics.
#pragma once

#include <string>

#include "routerpulse/stats.hpp"

namespace routerpulse::pg_enrich {

struct EnrichStats {
  Counter& cache_hits;        ///< metrics whose key had a fresh cache entry
  Counter& cache_misses;      ///< metrics whose key needed the database
  Counter& queries;           ///< lookup queries sent to PostgreSQL
  Counter& lookup_errors;     ///< lookups that got no answer (down, lost, SQL error, backlog full)
  Counter& lookup_timeouts;   ///< batches released at lookup_timeout with lookups outstanding
  Counter& enriched;          ///< metrics that got tags/fields
  Counter& missed;            ///< metrics with a key but no enrichment (on_miss applied)
  Counter& dropped;           ///< metrics dropped by on_miss: drop
  Counter& invalidations;     ///< NOTIFY messages that invalidated cache entries
  Counter& preloads;          ///< completed preload runs
  Counter& preload_errors;    ///< failed preload runs
  Counter& connection_errors; ///< failed connects and lost connections
  Counter& sql_errors;        ///< sessions refused because the configured SQL is wrong
  Gauge& connected;           ///< 1 while a session is usable, else 0
  Gauge& cache_entries;       ///< entries in the cache (fresh and stale)
  Gauge& preload_rows;        ///< rows loaded by the last preload
  Histogram& query_duration;  ///< seconds from sending a lookup to its answer

  EnrichStats(SelfMetrics& s, const std::string& id)
      : cache_hits(c(s, id, "cache_hits_total", "Metrics enriched from a fresh cache entry")),
        cache_misses(c(s, id, "cache_misses_total", "Metrics whose key was not freshly cached")),
        queries(c(s, id, "queries_total", "Lookup queries sent to PostgreSQL")),
        lookup_errors(c(s, id, "lookup_errors_total", "Lookups that got no answer from PostgreSQL")),
        lookup_timeouts(c(s, id, "lookup_timeouts_total", "Batches released at lookup_timeout with lookups pending")),
        enriched(c(s, id, "metrics_enriched_total", "Metrics that received customer tags/fields")),
        missed(c(s, id, "metrics_missed_total", "Metrics with a key but no enrichment")),
        dropped(c(s, id, "metrics_dropped_total", "Metrics dropped by on_miss: drop")),
        invalidations(c(s, id, "invalidations_total", "NOTIFY messages that invalidated cache entries")),
        preloads(c(s, id, "preloads_total", "Completed preload_query runs")),
        preload_errors(c(s, id, "preload_errors_total", "Failed preload_query runs")),
        connection_errors(c(s, id, "connection_errors_total", "Failed connects and lost PostgreSQL sessions")),
        sql_errors(c(s, id, "sql_errors_total", "Sessions refused because query/preload_query is invalid")),
        connected(s.gauge("pg_enrich", "connected", "1 while the PostgreSQL session is usable", l(id))),
        cache_entries(s.gauge("pg_enrich", "cache_entries", "Keys in the enrichment cache", l(id))),
        preload_rows(s.gauge("pg_enrich", "preload_rows", "Rows loaded by the last preload", l(id))),
        query_duration(s.histogram("pg_enrich", "query_duration_seconds", "Lookup query round-trip time", l(id))) {}

 private:
  static Labels l(const std::string& id) { return {{"processor", id}}; }
  static Counter& c(SelfMetrics& s, const std::string& id, const char* name, const char* help) {
    return s.counter("pg_enrich", name, help, l(id));
  }
};

}  // namespace routerpulse::pg_enrich
