// pg_enrich — processor plugin: adds customer tags/fields from PostgreSQL to
// every metric that carries `key_tag` (e.g. the PPPoE user name), without ever
// blocking the pipeline. README.md documents options, metrics and behaviour.
//
// Lifecycle (SDK v2):
//   validate — Settings::read only: option table, DSN syntax (PQconninfoParse),
//              columns and renames. Never connects: `routerpulse check` and a
//              SIGHUP reload stay instant whatever the database does.
//   construct — the same Settings::read, timers from ctx.clock; no connection.
//   start    — connects; the first session prepares and describes `query` and
//              `preload_query` (statements.hpp): that is the SQL check. A
//              rejected statement is logged as an error naming the option,
//              counted (`sql_errors_total`), reported on ctx.health
//              (unhealthy) and retried on every reconnect; metrics keep flowing.
//
// Flow of one batch (process): every metric carrying `key_tag` is checked
// against the cache. A batch whose keys are all freshly cached leaves at once
// (if no earlier batch is still held). Otherwise each missing key gets one
// lookup — a key already being looked up is not queried again, the batch just
// waits for the same answer (coalescing) — and the batch is held until its
// lookups are answered or `lookup_timeout` passes, whichever is first. On
// release every metric gets the cached enrichment (a stale entry counts when
// the refresh failed) or the `on_miss` treatment.
//
// The session: connect with backoff (reconnect_initial … reconnect_max),
// prepare the SQL, LISTEN, preload (on a short-lived session of its own); a
// request unanswered for `query_timeout` or an I/O error drops the session,
// fails its lookups at once and reconnects. While there is no session, lookups
// fail immediately, so batches never wait for a database that is down.
//
// Time: every TTL, deadline, timeout and timer comes from ctx.clock.
// Threading: every method runs on the component's strand; callbacks handed to
// libpq connections go through Component::guard().
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batch_queue.hpp"
#include "enrich_cache.hpp"
#include "enrich_stats.hpp"
#include "pg_shared.hpp"
#include "routerpulse/backoff.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "settings.hpp"
#include "statements.hpp"

namespace routerpulse::pg_enrich {

class PgEnrich final : public Processor {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "dsn",
       .type = OptionType::string,
       .doc = "libpq connection string (keyword/value or postgresql:// URI); never connected to by `check`",
       .required = true,
       .example = "\"host=127.0.0.1 dbname=billing user=routerpulse\""},
      {.name = "key_tag",
       .type = OptionType::string,
       .doc = "tag whose value is the lookup key; metrics without it pass untouched",
       .required = true,
       .example = "pppoe_user"},
      {.name = "query",
       .type = OptionType::string,
       .doc = "lookup SQL with exactly one parameter $1 (the key); the first row is used",
       .required = true,
       .example = "\"SELECT id::text AS customer_id, name, package FROM customers WHERE pppoe_username = $1\""},
      {.name = "tags",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "result columns that become tags"},
      {.name = "fields",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "result columns that become fields (typed by column type)"},
      {.name = "rename",
       .type = OptionType::string_map,
       .doc = "map column: new_name for tags and fields",
       .example = "{name: customer_name}"},
      {.name = "preload_query",
       .type = OptionType::string,
       .doc = "SQL without parameters returning the key first and every tags/fields column; loads the whole mapping",
       .example = "\"SELECT pppoe_username, id::text AS customer_id, name, package FROM customers\""},
      {.name = "refresh_interval",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "period of preload_query; 0 = only on (re)connect",
       .min = 0},
      {.name = "preload_timeout",
       .type = OptionType::duration,
       .default_value = "1m",
       .doc = "a preload run taking longer (after connecting) is abandoned",
       .min = kPositive},
      {.name = "ttl",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "how long a found key is used before it is asked again",
       .min = kPositive},
      {.name = "negative_ttl",
       .type = OptionType::duration,
       .default_value = "30s",
       .doc = "how long \"no such key\" is remembered; 0 = ask every time",
       .min = 0},
      {.name = "lookup_timeout",
       .type = OptionType::duration,
       .default_value = "50ms",
       .doc = "the longest a batch waits for its lookups; 0 = never wait",
       .min = 0},
      {.name = "on_miss",
       .type = OptionType::choice,
       .default_value = "tag",
       .doc = "a metric whose key has no enrichment: pass, drop, or tag (enrich=miss)",
       .choices = "pass|drop|tag"},
      {.name = "listen_channel",
       .type = OptionType::string,
       .doc = "LISTEN channel; NOTIFY with a key invalidates it, an empty payload clears the cache",
       .example = "customers_changed"},
      {.name = "connect_timeout",
       .type = OptionType::duration,
       .default_value = "5s",
       .doc = "bound on one connect (resolve, TCP, TLS, authentication)",
       .min = kPositive},
      {.name = "query_timeout",
       .type = OptionType::duration,
       .default_value = "5s",
       .doc = "a request unanswered this long drops the session and reconnects",
       .min = kPositive},
      {.name = "reconnect_initial",
       .type = OptionType::duration,
       .default_value = "500ms",
       .doc = "first reconnect delay; doubles per failure with jitter",
       .min = kPositive},
      {.name = "reconnect_max",
       .type = OptionType::duration,
       .default_value = "30s",
       .doc = "longest reconnect delay (not shorter than reconnect_initial)",
       .min = kPositive},
      {.name = "max_in_flight",
       .type = OptionType::integer,
       .default_value = "256",
       .doc = "lookups on the wire at once (pipeline depth)",
       .min = 1,
       .max = 100000},
      {.name = "max_pending_lookups",
       .type = OptionType::integer,
       .default_value = "100000",
       .doc = "lookups waiting for a wire slot; beyond it lookups fail at once",
       .min = 0,
       .max = 100000000},
      {.name = "cache_max_entries",
       .type = OptionType::integer,
       .default_value = "1000000",
       .doc = "cache size; when full, expired entries go first, then arbitrary ones down to 90%",
       .min = 1,
       .max = 1000000000},
      {.name = "error_log_interval",
       .type = OptionType::duration,
       .default_value = "1m",
       .doc = "at most one log line per kind of error per interval (with the number suppressed)",
       .min = kPositive},
  };

  /// Pure (what `routerpulse check` runs): Settings::read, no connection.
  static void validate(const Options& o);

  PgEnrich(const Options& o, PluginContext& ctx);
  ~PgEnrich() override;

  void start() override;
  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override;
  /// Releases every held batch (on_miss for unanswered keys), closes the sessions.
  void stop(std::function<void()> done) override;

 private:
  struct Lookup {
    std::vector<uint64_t> waiters;  // batch sequence numbers, ascending
    bool sent = false;
    bool invalidated = false;  // NOTIFY arrived while the query was on the wire
    SteadyTime started{};
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  SteadyTime now() const { return ctx_.clock.steady_now(); }
  // batches (pg_enrich.cpp)
  bool request(const std::string& key, uint64_t seq, SteadyTime now);
  void release_ready();
  /// Applies cache entries / on_miss to every metric and passes the batch on.
  /// `found`, when given, holds each metric's cache entry looked up just before.
  void finish(MetricBatch batch, const BatchQueue::Next& next,
              const std::vector<const EnrichCache::Entry*>* found = nullptr);
  void arm_deadline();
  // lookups (pg_enrich.cpp)
  bool send(const std::string& key, Lookup& l);
  void pump();
  void on_lookup(const std::string& key, PgResult r);
  void complete(const std::string& key);
  // session (session.cpp)
  void connect();
  void on_connected(uint64_t sid);
  void on_setup(uint64_t sid, SetupResult r);
  void on_lost(uint64_t sid, const std::string& why);
  void drop_connection(const std::string& why);
  void schedule_reconnect();
  void on_notify(const std::string& payload);
  void housekeeping();
  void close_all(const std::string& why);
  // preload (preload.cpp)
  void start_preload();
  void on_preload_connected(uint64_t run);
  void preload_finished(uint64_t run, PgResult r);
  void insert_preload(std::shared_ptr<PGresult> res, std::shared_ptr<RowMapper> mapper, int from, SteadyTime expires,
                      uint64_t run);
  void schedule_refresh();

  Settings s_;
  PluginContext& ctx_;
  std::string option_path_;  // e.g. processors.pg_enrich, for SQL errors found at start-up
  DsnInfo dsn_info_;
  EnrichStats stats_;
  RateLimitedLog errors_;
  EnrichCache cache_;
  BatchQueue queue_;
  std::unordered_map<std::string, Lookup, Hash, std::equal_to<>> lookups_;
  std::deque<std::string> backlog_;               // keys waiting for a wire slot (or for the session)
  std::vector<const EnrichCache::Entry*> found_;  // scratch for process()

  std::shared_ptr<PgConnection> conn_;
  uint64_t session_ = 0;     // bumped per connect/drop; stale callbacks compare against it
  bool connecting_ = false;  // a session is being set up: lookups wait for it
  bool ready_ = false;       // statements prepared: lookups can be sent
  bool stopped_ = false;
  bool sql_broken_ = false;   // the last SQL check failed on the SQL itself
  bool sql_checked_ = false;  // PostgreSQL accepted the SQL at least once
  bool ever_connected_ = false;
  std::string last_error_ = "no session yet";
  Backoff backoff_;
  RowMapper lookup_mapper_;

  std::shared_ptr<PgConnection> preload_conn_;
  uint64_t preload_run_ = 0;  // bumped per run; callbacks of other runs are ignored
  bool preload_running_ = false;
  bool preload_again_ = false;
  SteadyTime preload_started_{};
  std::unordered_set<std::string, Hash, std::equal_to<>> preload_invalidated_;

  std::unique_ptr<Timer> deadline_timer_;
  std::optional<SteadyTime> deadline_armed_;
  std::unique_ptr<Timer> reconnect_timer_;
  std::unique_ptr<Timer> refresh_timer_;
  std::unique_ptr<Timer> housekeeping_timer_;
  std::unique_ptr<Timer> preload_timer_;
};

}  // namespace routerpulse::pg_enrich
