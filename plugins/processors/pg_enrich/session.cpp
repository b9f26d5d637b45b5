// pg_enrich — the lookup session: start-up (and its SQL check), reconnects
// with backoff, NOTIFY invalidation, query_timeout housekeeping, stop.
#include <algorithm>

#include "pg_enrich.hpp"
#include "routerpulse/health.hpp"

namespace routerpulse::pg_enrich {

void PgEnrich::start() {
  stats_.connected.set(0);
  stats_.sql_ok.set(0);
  ctx_.health.set(HealthState::degraded,
                  "connecting to PostgreSQL (" + dsn_info_.display() + "); the SQL is checked on the first session");
  connect();
  housekeeping();
  if (s_.preload_query && s_.refresh_interval > Duration::zero()) schedule_refresh();
}

void PgEnrich::connect() {
  if (stopped_) return;
  const uint64_t sid = ++session_;
  connecting_ = true;
  PgConnection::Callbacks cb;
  cb.on_connected = guard([this, sid] { on_connected(sid); });
  cb.on_lost = guard([this, sid](const std::string& why) { on_lost(sid, why); });
  cb.on_notify = guard([this](const std::string&, const std::string& payload) { on_notify(payload); });
  cb.on_notice = guard([this](const std::string& msg) { ctx_.log->debug("PostgreSQL: {}", one_line(msg)); });
  conn_ = std::make_shared<PgConnection>(ctx_.strand, ctx_.clock, s_.dsn, s_.connect_timeout, std::move(cb));
  conn_->connect();
}

void PgEnrich::on_connected(uint64_t sid) {
  if (stopped_ || sid != session_ || !conn_) return;
  // The SQL check: prepare + describe query (and preload_query) on this session.
  setup_statements(conn_, s_, guard([this, sid](SetupResult r) { on_setup(sid, std::move(r)); }));
}

void PgEnrich::on_setup(uint64_t sid, SetupResult r) {
  if (stopped_ || sid != session_ || !conn_) return;
  if (!r.error.empty()) {
    if (r.sql_error) {
      // A configuration problem found at start-up (or after a schema change):
      // name the option like a ConfigError would, keep metrics flowing, retry.
      stats_.sql_errors.inc();
      stats_.sql_ok.set(0);
      sql_broken_ = true;
      const std::string where = option_path_ + "." + r.option;
      ctx_.health.set(HealthState::unhealthy, where + ": " + r.error);
      errors_.log_lazy(spdlog::level::err, "sql", [&] {
        return where + ": " + r.error +
               " — lookups are disabled until the SQL is fixed (checked again on every reconnect)";
      });
    }
    drop_connection(r.error);
    return;
  }
  lookup_mapper_ = std::move(r.lookup);
  if (s_.listen_channel) {
    conn_->exec("LISTEN " + quote_identifier(*s_.listen_channel), guard([this](PgResult lr) {
                  if (!lr.ok() && !lr.connection_error)
                    ctx_.log->error("LISTEN {} failed: {}", *s_.listen_channel, one_line(lr.error));
                }));
  }
  if (!sql_checked_ || sql_broken_)
    ctx_.log->info("PostgreSQL accepted `query`{}", s_.preload_query ? " and `preload_query`" : "");
  ready_ = true;
  connecting_ = false;
  sql_broken_ = false;
  sql_checked_ = true;
  backoff_.reset();
  stats_.connected.set(1);
  stats_.sql_ok.set(1);
  ctx_.health.set(HealthState::healthy);
  ctx_.log->info("{} PostgreSQL ({})", ever_connected_ ? "reconnected to" : "connected to", dsn_info_.display());
  ever_connected_ = true;
  start_preload();
  pump();
}

void PgEnrich::on_lost(uint64_t sid, const std::string& why) {
  if (stopped_ || sid != session_) return;
  stats_.connection_errors.inc();
  const bool was_ready = ready_;
  errors_.log_lazy(spdlog::level::warn, "session", [&] {
    return (was_ready ? "lost the PostgreSQL session: "
                      : "cannot connect to PostgreSQL (" + dsn_info_.display() + "): ") +
           one_line(why);
  });
  drop_connection(why);
}

void PgEnrich::drop_connection(const std::string& why) {
  last_error_ = one_line(why);
  ++session_;  // callbacks of the old session are ignored from now on
  if (conn_) {
    auto c = std::move(conn_);
    c->close(why);  // its in-flight lookups fail through on_lookup
  }
  ready_ = connecting_ = false;
  stats_.connected.set(0);
  if (!sql_broken_)
    ctx_.health.set(HealthState::degraded, "PostgreSQL unavailable (" + dsn_info_.display() + "): " + last_error_);
  // Lookups that never reached the wire fail now.
  auto keys = std::move(backlog_);
  backlog_.clear();
  for (const auto& key : keys) {
    auto it = lookups_.find(key);
    if (it == lookups_.end() || it->second.sent) continue;
    stats_.lookup_errors.inc();
    complete(key);
  }
  schedule_reconnect();
}

void PgEnrich::schedule_reconnect() {
  if (stopped_) return;
  reconnect_timer_->arm(backoff_.next(), guard([this] {
                          if (!stopped_ && !conn_) connect();
                        }));
}

void PgEnrich::on_notify(const std::string& payload) {
  if (stopped_) return;
  stats_.invalidations.inc();
  if (payload.empty()) {  // no key: everything may have changed
    cache_.clear();
    for (auto& [k, l] : lookups_)
      if (l.sent) l.invalidated = true;
    if (preload_running_)
      preload_again_ = true;
    else
      start_preload();
    ctx_.log->info("NOTIFY without a key on {}: cache cleared", s_.listen_channel.value_or(""));
    return;
  }
  cache_.erase(payload);
  if (auto it = lookups_.find(payload); it != lookups_.end() && it->second.sent) it->second.invalidated = true;
  if (preload_running_) preload_invalidated_.insert(payload);
  ctx_.log->debug("NOTIFY invalidated {}=\"{}\"", s_.key_tag, payload);
}

void PgEnrich::housekeeping() {
  if (stopped_) return;
  stats_.cache_entries.set(static_cast<double>(cache_.size()));
  if (ready_ && conn_) {
    auto oldest = conn_->oldest_request();
    if (oldest && now() - *oldest > s_.query_timeout) {
      stats_.connection_errors.inc();
      errors_.log(
          spdlog::level::warn, "session",
          "PostgreSQL did not answer within query_timeout " + format_duration(s_.query_timeout) + "; reconnecting");
      drop_connection("no answer within query_timeout");
    }
  }
  using std::chrono::milliseconds;
  const Duration period = std::clamp<Duration>(s_.query_timeout / 2, milliseconds(10), milliseconds(1000));
  housekeeping_timer_->arm(period, guard([this] { housekeeping(); }));
}

void PgEnrich::close_all(const std::string& why) {
  ++session_;
  ++preload_run_;
  for (auto* c : {&conn_, &preload_conn_}) {
    if (!*c) continue;
    auto conn = std::move(*c);
    conn->close(why);
  }
  ready_ = connecting_ = preload_running_ = false;
}

}  // namespace routerpulse::pg_enrich
