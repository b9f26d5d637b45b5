// pg_enrich — construction, batches and lookups (see pg_enrich.hpp for the
// whole picture; session.cpp and preload.cpp hold the rest of the class).
#include "pg_enrich.hpp"

#include <boost/asio/post.hpp>

namespace routerpulse::pg_enrich {

namespace {
constexpr const char* kMissTagKey = "enrich";
constexpr const char* kMissTagValue = "miss";

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

void PgEnrich::validate(const Options& o) { Settings::read(o); }

PgEnrich::PgEnrich(const Options& o, PluginContext& ctx)
    : s_(Settings::read(o)),
      ctx_(ctx),
      option_path_(o.path()),
      dsn_info_(parse_dsn(s_.dsn)),
      stats_(ctx.self_metrics),
      errors_(ctx.log, ctx.clock, s_.error_log_interval),
      cache_(s_.cache_max_entries),
      backoff_(s_.reconnect_initial, s_.reconnect_max),
      lookup_mapper_(s_.columns),
      deadline_timer_(ctx.clock.make_timer(ctx.strand)),
      reconnect_timer_(ctx.clock.make_timer(ctx.strand)),
      refresh_timer_(ctx.clock.make_timer(ctx.strand)),
      housekeeping_timer_(ctx.clock.make_timer(ctx.strand)),
      preload_timer_(ctx.clock.make_timer(ctx.strand)) {}

PgEnrich::~PgEnrich() {
  // After stop() there is nothing left. Otherwise close the sessions on the
  // strand; their callbacks are guarded and no longer reach this object.
  for (auto* c : {&conn_, &preload_conn_})
    if (*c) boost::asio::post(ctx_.strand, [conn = std::move(*c)] { conn->close("processor destroyed"); });
}

// ------------------------------------------------------------------ batches

void PgEnrich::process(MetricBatch batch, std::function<void(MetricBatch)> next) {
  const auto t = now();
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
    if (e && e->fresh(t)) {
      ++hits;
      continue;
    }
    ++misses;
    if (request(*key, seq, t)) ++waiting;
  }
  if (hits) stats_.cache_hits.inc(hits);
  if (misses) stats_.cache_misses.inc(misses);
  if (waiting == 0 && queue_.empty()) {
    finish(std::move(batch), next, &found_);
    return;
  }
  queue_.push(std::move(batch), std::move(next), t + s_.lookup_timeout, waiting);
  release_ready();
}

bool PgEnrich::request(const std::string& key, uint64_t seq, SteadyTime t) {
  auto it = lookups_.find(key);
  if (it != lookups_.end()) {  // coalesce with the lookup already under way
    auto& w = it->second.waiters;
    if (!w.empty() && w.back() == seq) return false;
    w.push_back(seq);
    return true;
  }
  if (!ready_ && !connecting_) {
    stats_.lookup_errors.inc();
    errors_.log_lazy(spdlog::level::warn, "lookup",
                     [this] { return "lookups fail while PostgreSQL is unavailable: " + last_error_; });
    return false;
  }
  const bool slot = ready_ && conn_ && conn_->in_flight() < s_.max_in_flight;
  if (!slot && backlog_.size() >= s_.max_pending) {
    stats_.lookup_errors.inc();
    errors_.log_lazy(spdlog::level::warn, "lookup", [this] {
      return "lookup backlog is full (max_pending_lookups " + std::to_string(s_.max_pending) +
             "): PostgreSQL does not keep up";
    });
    return false;
  }
  auto& l = lookups_.try_emplace(key).first->second;
  l.waiters.push_back(seq);
  l.started = t;
  if (!slot || !send(key, l)) backlog_.push_back(key);
  return true;
}

void PgEnrich::release_ready() {
  queue_.release_ready(now(), [this](BatchQueue::Item&& it) {
    if (it.waiting > 0) stats_.lookup_timeouts.inc();
    finish(std::move(it.batch), it.next);
  });
  arm_deadline();
}

void PgEnrich::finish(MetricBatch batch, const BatchQueue::Next& next,
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

void PgEnrich::arm_deadline() {
  auto d = queue_.head_deadline();
  if (!d || (deadline_armed_ && *deadline_armed_ == *d)) return;
  deadline_armed_ = d;
  deadline_timer_->arm_at(*d, [this, d = *d] {
    if (stopped_) return;
    if (deadline_armed_ == d) deadline_armed_.reset();
    release_ready();
  });
}

// ------------------------------------------------------------------ lookups

bool PgEnrich::send(const std::string& key, Lookup& l) {
  if (!ready_ || !conn_) return false;
  bool sent =
      conn_->exec_prepared(kLookupStatement, {key}, guard([this, key](PgResult r) { on_lookup(key, std::move(r)); }));
  if (!sent) return false;  // the session failed; on_lost fails the backlog
  l.sent = true;
  l.started = now();
  stats_.queries.inc();
  return true;
}

void PgEnrich::pump() {
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

void PgEnrich::on_lookup(const std::string& key, PgResult r) {
  if (stopped_) return;
  auto it = lookups_.find(key);
  if (it == lookups_.end()) return;
  Lookup& l = it->second;
  const auto t = now();
  if (r.ok()) {
    stats_.query_duration.observe(seconds(t - l.started));
    if (l.invalidated) {  // the answer may predate the change that was notified: ask again
      l.invalidated = false;
      l.sent = false;
      if (conn_ && conn_->in_flight() < s_.max_in_flight && send(key, l)) return;
      backlog_.push_back(key);
      return;
    }
    if (PQntuples(r.res.get()) > 0)
      cache_.put(key, lookup_mapper_.map(r.res.get(), 0), t + s_.ttl, t);
    else if (s_.negative_ttl > Duration::zero())
      cache_.put(key, nullptr, t + s_.negative_ttl, t);
    else
      cache_.erase(key);
  } else {
    stats_.lookup_errors.inc();
    if (!r.connection_error)
      errors_.log_lazy(spdlog::level::warn, "lookup",
                       [&] { return "lookup of " + s_.key_tag + "=\"" + key + "\" failed: " + one_line(r.error); });
  }
  complete(key);
}

void PgEnrich::complete(const std::string& key) {
  auto it = lookups_.find(key);
  if (it == lookups_.end()) return;
  auto waiters = std::move(it->second.waiters);
  lookups_.erase(it);
  for (uint64_t seq : waiters) queue_.resolved(seq);
  pump();
  release_ready();
}

// ------------------------------------------------------------------ stop

void PgEnrich::stop(std::function<void()> done) {
  stopped_ = true;
  deadline_timer_->cancel();
  reconnect_timer_->cancel();
  refresh_timer_->cancel();
  housekeeping_timer_->cancel();
  preload_timer_->cancel();
  queue_.release_all([this](BatchQueue::Item&& it) { finish(std::move(it.batch), it.next); });
  lookups_.clear();
  backlog_.clear();
  close_all("processor stopped");
  stats_.connected.set(0);
  done();
}

}  // namespace routerpulse::pg_enrich

ROUTERPULSE_PLUGIN(processor, pg_enrich, "Adds customer tags/fields from PostgreSQL (cached, non-blocking)",
                   routerpulse::pg_enrich::PgEnrich)
