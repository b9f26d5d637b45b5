// pg_enrich — the processor's state machine: cache, coalesced lookups,
// ordered batch release, PostgreSQL session lifecycle, preload and NOTIFY.
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
// The session: connect with backoff (routerpulse::Backoff), prepare the SQL
// (statements.hpp), LISTEN, preload; a request unanswered for `query_timeout`
// or an I/O error drops the session, fails its lookups at once and reconnects.
// While there is no session, lookups fail immediately, so batches never wait
// for a database that is down.
//
// Threading: every method runs on the component's strand. Asynchronous
// handlers hold a shared_ptr (timers) or weak_ptr (connection callbacks).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "batch_queue.hpp"
#include "enrich_cache.hpp"
#include "enrich_stats.hpp"
#include "error_log.hpp"
#include "pg_connection.hpp"
#include "pg_dsn.hpp"
#include "routerpulse/backoff.hpp"
#include "routerpulse/plugin.hpp"
#include "settings.hpp"
#include "statements.hpp"

namespace routerpulse::pg_enrich {

class Enricher : public std::enable_shared_from_this<Enricher> {
 public:
  Enricher(Settings settings, PluginContext& ctx);

  void start();
  void process(MetricBatch batch, BatchQueue::Next next);
  /// Releases every held batch (on_miss for unanswered keys), closes the session.
  void stop();
  /// Like stop() but drops held batches without calling their `next` (destruction).
  void abandon();

 private:
  using Clock = std::chrono::steady_clock;
  struct Lookup {
    std::vector<uint64_t> waiters;  // batch sequence numbers, ascending
    bool sent = false;
    bool invalidated = false;  // NOTIFY arrived while the query was on the wire
    Clock::time_point started{};
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  // batches
  bool request(const std::string& key, uint64_t seq, Clock::time_point now);
  void release_ready();
  /// Applies cache entries / on_miss to every metric and passes the batch on.
  /// `found`, when given, holds each metric's cache entry looked up just before.
  void finish(MetricBatch batch, const BatchQueue::Next& next,
              const std::vector<const EnrichCache::Entry*>* found = nullptr);
  void arm_deadline();
  // lookups
  bool send(const std::string& key, Lookup& l);
  void pump();
  void on_lookup(const std::string& key, PgResult r);
  void complete(const std::string& key);
  // session
  void connect();
  void on_connected(uint64_t sid);
  void on_setup(uint64_t sid, SetupResult r);
  void on_lost(uint64_t sid, const std::string& why);
  void drop_connection(const std::string& why);
  void schedule_reconnect();
  void on_notify(const std::string& payload);
  void housekeeping();
  // preload
  void start_preload();
  void on_preload(PgResult r, Clock::time_point t0);
  void insert_preload(std::shared_ptr<PGresult> res, std::shared_ptr<RowMapper> mapper, int from,
                      Clock::time_point expires, Clock::time_point t0);
  void schedule_refresh();

  Settings s_;
  PluginContext& ctx_;
  DsnInfo dsn_info_;
  std::string health_id_;
  EnrichStats stats_;
  ErrorLog errors_;
  EnrichCache cache_;
  BatchQueue queue_;
  std::unordered_map<std::string, Lookup, Hash, std::equal_to<>> lookups_;
  std::deque<std::string> backlog_;  // keys waiting for a wire slot (or for the session)
  std::vector<const EnrichCache::Entry*> found_;  // scratch for process()

  std::shared_ptr<PgConnection> conn_;
  uint64_t session_ = 0;     // bumped per connect/drop; stale callbacks compare against it
  bool connecting_ = false;  // a session is being set up: lookups wait for it
  bool ready_ = false;       // statements prepared: lookups can be sent
  bool stopped_ = false;
  bool sql_broken_ = false;  // the last setup failed on the SQL itself
  bool ever_connected_ = false;
  std::string last_error_ = "no session yet";
  Backoff backoff_;
  RowMapper lookup_mapper_;
  bool preload_running_ = false;
  bool preload_again_ = false;
  std::unordered_set<std::string, Hash, std::equal_to<>> preload_invalidated_;

  boost::asio::steady_timer deadline_timer_;
  std::optional<Clock::time_point> deadline_armed_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::steady_timer housekeeping_timer_;
};

}  // namespace routerpulse::pg_enrich
