#include "enricher.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "preload.hpp"
#include "routerpulse/health.hpp"

namespace routerpulse::pg_enrich {

namespace {
constexpr int kPreloadChunk = 5000;  // rows inserted per strand turn
constexpr const char* kMissTagKey = "enrich";
constexpr const char* kMissTagValue = "miss";

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

Enricher::Enricher(Settings settings, PluginContext& ctx)
    : s_(std::move(settings)),
      ctx_(ctx),
      dsn_info_(parse_dsn(s_.dsn)),
      health_id_("processors." + ctx.id),
      stats_(ctx.stats, ctx.id),
      errors_(ctx.log, s_.error_log_interval),
      cache_(s_.cache_max_entries),
      backoff_(s_.reconnect_min, s_.reconnect_max),
      lookup_mapper_(s_.columns),
      deadline_timer_(ctx.strand),
      reconnect_timer_(ctx.strand),
      refresh_timer_(ctx.strand),
      housekeeping_timer_(ctx.strand) {}

// ------------------------------------------------------------------ batches

void Enricher::process(MetricBatch batch, BatchQueue::Next next) {
  const auto now = Clock::now();
  if (stopped_) {
    finish(std::move(batch), next);
    return;
  }
  const uint64_t seq = queue_.next_seq();
  size_t waiting = 0, hits = 0, misses = 0;
  // Remember what each metric found, so a batch that can leave at once is not
  // looked up twice (the entries stay valid: nothing is inserted meanwhile).
  found_.resize(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string* key = batch[i].tag(s_.key_tag);
    found_[i] = nullptr;
    if (!key) continue;
    const auto* e = cache_.find(*key);
    found_[i] = e;
    if (e && e->fresh(now)) {
      ++hits;
      continue;
    }
    ++misses;
    if (request(*key, seq, now)) ++waiting;
  }
  if (hits) stats_.cache_hits.inc(hits);
  if (misses) stats_.cache_misses.inc(misses);
  if (waiting == 0 && queue_.empty()) {
    finish(std::move(batch), next, &found_);
    return;
  }
  queue_.push(std::move(batch), std::move(next), now + s_.lookup_timeout, waiting);
  release_ready();
}

bool Enricher::request(const std::string& key, uint64_t seq, Clock::time_point now) {
  auto it = lookups_.find(key);
  if (it != lookups_.end()) {  // coalesce with the lookup already under way
    auto& w = it->second.waiters;
    if (!w.empty() && w.back() == seq) return false;
    w.push_back(seq);
    return true;
  }
  if (!ready_ && !connecting_) {
    stats_.lookup_errors.inc();
    errors_.report_lazy([this] { return "lookups fail while PostgreSQL is unavailable: " + last_error_; });
    return false;
  }
  const bool slot = ready_ && conn_ && conn_->in_flight() < s_.max_in_flight;
  if (!slot && backlog_.size() >= s_.max_pending) {
    stats_.lookup_errors.inc();
    errors_.report_lazy([this] {
      return "lookup backlog is full (max_pending_lookups " + std::to_string(s_.max_pending) +
             "): PostgreSQL does not keep up";
    });
    return false;
  }
  auto& l = lookups_.try_emplace(key).first->second;
  l.waiters.push_back(seq);
  l.started = now;
  if (!slot || !send(key, l)) backlog_.push_back(key);
  return true;
}

void Enricher::release_ready() {
  queue_.release_ready(Clock::now(), [this](BatchQueue::Item&& it) {
    if (it.waiting > 0) stats_.lookup_timeouts.inc();
    finish(std::move(it.batch), it.next);
  });
  arm_deadline();
}

void Enricher::finish(MetricBatch batch, const BatchQueue::Next& next,
                      const std::vector<const EnrichCache::Entry*>* found) {
  size_t enriched = 0, missed = 0, dropped = 0, w = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Metric& m = batch[i];
    const EnrichCache::Entry* e = nullptr;
    bool keyed = false;
    if (found) {
      e = (*found)[i];
      keyed = e || m.tag(s_.key_tag);
    } else if (const std::string* key = m.tag(s_.key_tag)) {
      e = cache_.find(*key);
      keyed = true;
    }
    if (keyed) {
      if (e && e->value) {  // fresh, or stale when the refresh failed or is late
        e->value->apply(m);
        ++enriched;
      } else {
        ++missed;
        if (s_.on_miss == OnMiss::drop) {
          ++dropped;
          continue;
        }
        if (s_.on_miss == OnMiss::tag) m.set_tag(kMissTagKey, kMissTagValue);
      }
    }
    if (w != i) batch[w] = std::move(m);
    ++w;
  }
  batch.erase(batch.begin() + static_cast<std::ptrdiff_t>(w), batch.end());
  if (enriched) stats_.enriched.inc(enriched);
  if (missed) stats_.missed.inc(missed);
  if (dropped) stats_.dropped.inc(dropped);
  next(std::move(batch));
}

void Enricher::arm_deadline() {
  auto d = queue_.head_deadline();
  if (!d || (deadline_armed_ && *deadline_armed_ == *d)) return;
  deadline_armed_ = d;
  deadline_timer_.expires_at(*d);
  deadline_timer_.async_wait([self = shared_from_this(), d = *d](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    if (self->deadline_armed_ == d) self->deadline_armed_.reset();
    self->release_ready();
  });
}

// ------------------------------------------------------------------ lookups

bool Enricher::send(const std::string& key, Lookup& l) {
  if (!ready_ || !conn_) return false;
  std::weak_ptr<Enricher> w = weak_from_this();
  bool sent = conn_->exec_prepared(kLookupStatement, {key}, [w, key](PgResult r) {
    if (auto self = w.lock()) self->on_lookup(key, std::move(r));
  });
  if (!sent) return false;  // the session failed; on_lost fails the backlog
  l.sent = true;
  l.started = Clock::now();
  stats_.queries.inc();
  return true;
}

void Enricher::pump() {
  while (ready_ && conn_ && !backlog_.empty() && conn_->in_flight() < s_.max_in_flight) {
    std::string key = std::move(backlog_.front());
    backlog_.pop_front();
    auto it = lookups_.find(key);
    if (it == lookups_.end() || it->second.sent) continue;
    if (!send(key, it->second)) {
      backlog_.push_front(std::move(key));
      return;
    }
  }
}

void Enricher::on_lookup(const std::string& key, PgResult r) {
  if (stopped_) return;
  auto it = lookups_.find(key);
  if (it == lookups_.end()) return;
  Lookup& l = it->second;
  const auto now = Clock::now();
  if (r.ok()) {
    stats_.query_duration.observe(seconds(now - l.started));
    if (l.invalidated) {  // the answer may predate the change that was notified: ask again
      l.invalidated = false;
      l.sent = false;
      if (conn_ && conn_->in_flight() < s_.max_in_flight && send(key, l)) return;
      backlog_.push_back(key);
      return;
    }
    if (PQntuples(r.res.get()) > 0)
      cache_.put(key, lookup_mapper_.map(r.res.get(), 0), now + s_.ttl);
    else if (s_.negative_ttl > Duration::zero())
      cache_.put(key, nullptr, now + s_.negative_ttl);
    else
      cache_.erase(key);
  } else {
    stats_.lookup_errors.inc();
    if (!r.connection_error)
      errors_.report_lazy([&] { return "lookup of " + s_.key_tag + "=\"" + key + "\" failed: " + one_line(r.error); });
  }
  complete(key);
}

void Enricher::complete(const std::string& key) {
  auto it = lookups_.find(key);
  if (it == lookups_.end()) return;
  auto waiters = std::move(it->second.waiters);
  lookups_.erase(it);
  for (uint64_t seq : waiters) queue_.resolved(seq);
  pump();
  release_ready();
}

// ------------------------------------------------------------------ session

void Enricher::start() {
  connect();
  housekeeping();
  if (s_.preload_query && s_.refresh_interval > Duration::zero()) schedule_refresh();
}

void Enricher::connect() {
  if (stopped_) return;
  const uint64_t sid = ++session_;
  connecting_ = true;
  std::weak_ptr<Enricher> w = weak_from_this();
  PgConnection::Callbacks cb;
  cb.on_connected = [w, sid] {
    if (auto self = w.lock()) self->on_connected(sid);
  };
  cb.on_lost = [w, sid](const std::string& why) {
    if (auto self = w.lock()) self->on_lost(sid, why);
  };
  cb.on_notify = [w](const std::string&, const std::string& payload) {
    if (auto self = w.lock()) self->on_notify(payload);
  };
  cb.on_notice = [w](const std::string& msg) {
    if (auto self = w.lock()) self->ctx_.log->debug("PostgreSQL: {}", one_line(msg));
  };
  conn_ = std::make_shared<PgConnection>(ctx_.strand, s_.dsn, s_.connect_timeout, std::move(cb));
  conn_->connect();
}

void Enricher::on_connected(uint64_t sid) {
  if (stopped_ || sid != session_ || !conn_) return;
  std::weak_ptr<Enricher> w = weak_from_this();
  setup_statements(conn_, s_, [w, sid](SetupResult r) {
    if (auto self = w.lock()) self->on_setup(sid, std::move(r));
  });
}

void Enricher::on_setup(uint64_t sid, SetupResult r) {
  if (stopped_ || sid != session_ || !conn_) return;
  if (!r.error.empty()) {
    if (r.sql_error) {
      stats_.sql_errors.inc();
      sql_broken_ = true;
      ctx_.health.set_component(health_id_, HealthState::unhealthy, r.error);
      ctx_.log->error("{}; lookups are disabled until the SQL is fixed (retrying)", r.error);
    }
    drop_connection(r.error);
    return;
  }
  lookup_mapper_ = std::move(r.lookup);
  if (s_.listen_channel) {
    std::weak_ptr<Enricher> w = weak_from_this();
    conn_->exec("LISTEN " + quote_identifier(*s_.listen_channel), [w](PgResult lr) {
      auto self = w.lock();
      if (self && !lr.ok() && !lr.connection_error)
        self->ctx_.log->error("LISTEN {} failed: {}", *self->s_.listen_channel, one_line(lr.error));
    });
  }
  ready_ = true;
  connecting_ = false;
  sql_broken_ = false;
  backoff_.reset();
  stats_.connected.set(1);
  ctx_.health.set_component(health_id_, HealthState::healthy);
  ctx_.log->info("{} PostgreSQL ({})", ever_connected_ ? "reconnected to" : "connected to", dsn_info_.display());
  ever_connected_ = true;
  start_preload();
  pump();
}

void Enricher::on_lost(uint64_t sid, const std::string& why) {
  if (stopped_ || sid != session_) return;
  stats_.connection_errors.inc();
  const bool was_ready = ready_;
  errors_.report_lazy([&] {
    return (was_ready ? "lost the PostgreSQL session: " : "cannot connect to PostgreSQL (" + dsn_info_.display() + "): ") +
           one_line(why);
  });
  drop_connection(why);
}

void Enricher::drop_connection(const std::string& why) {
  last_error_ = one_line(why);
  ++session_;  // callbacks of the old session are ignored from now on
  if (conn_) {
    auto c = std::move(conn_);
    c->close(why);  // its in-flight lookups fail through on_lookup
  }
  ready_ = connecting_ = false;
  stats_.connected.set(0);
  if (!sql_broken_)
    ctx_.health.set_component(health_id_, HealthState::degraded, "PostgreSQL unavailable: " + last_error_);
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

void Enricher::schedule_reconnect() {
  if (stopped_) return;
  reconnect_timer_.expires_after(backoff_.next());
  reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->stopped_ && !self->conn_) self->connect();
  });
}

void Enricher::on_notify(const std::string& payload) {
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

void Enricher::housekeeping() {
  if (stopped_) return;
  stats_.cache_entries.set(static_cast<double>(cache_.size()));
  if (ready_ && conn_) {
    auto oldest = conn_->oldest_request();
    if (oldest && Clock::now() - *oldest > s_.query_timeout) {
      stats_.connection_errors.inc();
      errors_.report("PostgreSQL did not answer within query_timeout " + format_duration(s_.query_timeout) +
                     "; reconnecting");
      drop_connection("no answer within query_timeout");
    }
  }
  auto period = std::min<Duration>(std::chrono::seconds(1), s_.query_timeout / 2);
  housekeeping_timer_.expires_after(std::max<Duration>(period, std::chrono::milliseconds(10)));
  housekeeping_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->housekeeping();
  });
}

// ------------------------------------------------------------------ preload

void Enricher::schedule_refresh() {
  refresh_timer_.expires_after(s_.refresh_interval);
  refresh_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    if (self->ready_) self->start_preload();
    self->schedule_refresh();
  });
}

void Enricher::start_preload() {
  if (!s_.preload_query || preload_running_ || stopped_) return;
  preload_running_ = true;
  preload_again_ = false;
  preload_invalidated_.clear();
  const auto t0 = Clock::now();
  std::weak_ptr<Enricher> w = weak_from_this();
  run_preload(ctx_.strand, s_, [w, t0](PgResult r) {
    if (auto self = w.lock()) self->on_preload(std::move(r), t0);
  });
}

void Enricher::on_preload(PgResult r, Clock::time_point t0) {
  if (stopped_) return;
  auto fail = [this](const std::string& why) {
    preload_running_ = false;
    stats_.preload_errors.inc();
    errors_.report("preload_query failed: " + one_line(why));
  };
  if (!r.ok()) return fail(r.error);
  auto mapper = std::make_shared<RowMapper>(s_.columns);
  auto missing = mapper->bind(r.res.get());
  if (!missing.empty() || PQnfields(r.res.get()) < 1)
    return fail("it does not return the configured columns (it returns: " + column_list(r.res.get()) + ")");
  const Duration keep = std::max<Duration>(s_.ttl, 2 * s_.refresh_interval);
  std::shared_ptr<PGresult> res(r.res.release(), PQclear);
  insert_preload(std::move(res), std::move(mapper), 0, Clock::now() + keep, t0);
}

void Enricher::insert_preload(std::shared_ptr<PGresult> res, std::shared_ptr<RowMapper> mapper, int from,
                              Clock::time_point expires, Clock::time_point t0) {
  const int n = PQntuples(res.get());
  const int end = std::min(n, from + kPreloadChunk);
  for (int row = from; row < end; ++row) {
    if (PQgetisnull(res.get(), row, 0)) continue;
    std::string_view key(PQgetvalue(res.get(), row, 0), static_cast<size_t>(PQgetlength(res.get(), row, 0)));
    if (!preload_invalidated_.empty() && preload_invalidated_.count(key)) continue;
    cache_.put(key, mapper->map(res.get(), row), expires);
  }
  if (end < n) {  // yield the strand between chunks
    boost::asio::post(ctx_.strand, [self = shared_from_this(), res, mapper, end, expires, t0] {
      if (!self->stopped_) self->insert_preload(res, mapper, end, expires, t0);
    });
    return;
  }
  preload_running_ = false;
  stats_.preloads.inc();
  stats_.preload_rows.set(n);
  stats_.cache_entries.set(static_cast<double>(cache_.size()));
  ctx_.log->info("preloaded {} rows in {:.0f} ms", n, seconds(Clock::now() - t0) * 1000);
  if (preload_again_) start_preload();
}

// ------------------------------------------------------------------ stop

void Enricher::stop() {
  stopped_ = true;
  ++session_;
  deadline_timer_.cancel();
  reconnect_timer_.cancel();
  refresh_timer_.cancel();
  housekeeping_timer_.cancel();
  queue_.release_all([this](BatchQueue::Item&& it) { finish(std::move(it.batch), it.next); });
  lookups_.clear();
  backlog_.clear();
  if (conn_) {
    auto c = std::move(conn_);
    c->close("processor stopped");
  }
  ready_ = connecting_ = false;
  stats_.connected.set(0);
}

void Enricher::abandon() {
  stopped_ = true;
  ++session_;
  deadline_timer_.cancel();
  reconnect_timer_.cancel();
  refresh_timer_.cancel();
  housekeeping_timer_.cancel();
  queue_.release_all([](BatchQueue::Item&&) {});
  lookups_.clear();
  backlog_.clear();
  if (conn_) {
    auto c = std::move(conn_);
    c->close("processor destroyed");
  }
}

}  // namespace routerpulse::pg_enrich
