// pg_enrich — `preload_query`: the whole mapping at every (re)connect and
// every `refresh_interval`.
//
// The preload may return tens of thousands of rows; running it on the lookup
// session would hold every pipelined lookup behind it (PostgreSQL answers a
// pipeline in order). So each run opens its own non-blocking connection, sends
// the query (text results), inserts the rows in chunks (yielding the strand
// between them) and closes. A run that takes longer than `connect_timeout +
// preload_timeout` on ctx.clock is abandoned with an error.
#include <boost/asio/post.hpp>

#include "pg_enrich.hpp"

namespace routerpulse::pg_enrich {

namespace {
constexpr int kPreloadChunk = 5000;  // rows inserted per strand turn
}

void PgEnrich::schedule_refresh() {
  refresh_timer_->arm(s_.refresh_interval, guard([this] {
                        if (stopped_) return;
                        if (ready_) start_preload();
                        schedule_refresh();
                      }));
}

void PgEnrich::start_preload() {
  if (!s_.preload_query || preload_running_ || stopped_) return;
  preload_running_ = true;
  preload_again_ = false;
  preload_invalidated_.clear();
  preload_started_ = now();
  const uint64_t run = ++preload_run_;
  PgConnection::Callbacks cb;
  cb.on_connected = guard([this, run] { on_preload_connected(run); });
  cb.on_lost = guard([this, run](const std::string& why) { preload_finished(run, PgResult::failed(why, true)); });
  cb.on_notice = [](const std::string&) {};  // the lookup session reports server notices
  preload_conn_ = std::make_shared<PgConnection>(ctx_.strand, ctx_.clock, s_.dsn, s_.connect_timeout, std::move(cb));
  preload_timer_->arm(
      s_.connect_timeout + s_.preload_timeout, guard([this, run] {
        preload_finished(
            run, PgResult::failed("preload_query did not finish within " + format_duration(s_.preload_timeout), true));
      }));
  preload_conn_->connect();
}

void PgEnrich::on_preload_connected(uint64_t run) {
  if (stopped_ || run != preload_run_ || !preload_conn_) return;
  bool sent =
      preload_conn_->exec(*s_.preload_query, guard([this, run](PgResult r) { preload_finished(run, std::move(r)); }));
  if (!sent) preload_finished(run, PgResult::failed("connection lost before preload_query was sent", true));
}

void PgEnrich::preload_finished(uint64_t run, PgResult r) {
  if (stopped_ || run != preload_run_ || !preload_conn_) return;  // another run, or this one already ended
  preload_timer_->cancel();
  auto conn = std::move(preload_conn_);
  conn->close("preload finished");
  auto fail = [this](const std::string& why) {
    preload_running_ = false;
    stats_.preload_errors.inc();
    errors_.log(spdlog::level::warn, "preload", "preload_query failed: " + one_line(why));
  };
  if (!r.ok()) return fail(r.error);
  auto mapper = std::make_shared<RowMapper>(s_.columns);
  auto missing = mapper->bind(r.res.get());
  if (!missing.empty() || PQnfields(r.res.get()) < 1)
    return fail("it does not return the configured columns (it returns: " + column_list(r.res.get()) + ")");
  const Duration keep = std::max<Duration>(s_.ttl, 2 * s_.refresh_interval);
  std::shared_ptr<PGresult> res(r.res.release(), PQclear);
  insert_preload(std::move(res), std::move(mapper), 0, now() + keep, run);
}

void PgEnrich::insert_preload(std::shared_ptr<PGresult> res, std::shared_ptr<RowMapper> mapper, int from,
                              SteadyTime expires, uint64_t run) {
  if (stopped_ || run != preload_run_) return;
  const int n = PQntuples(res.get());
  const int end = std::min(n, from + kPreloadChunk);
  const auto t = now();
  for (int row = from; row < end; ++row) {
    if (PQgetisnull(res.get(), row, 0)) continue;
    std::string_view key(PQgetvalue(res.get(), row, 0), static_cast<size_t>(PQgetlength(res.get(), row, 0)));
    if (!preload_invalidated_.empty() && preload_invalidated_.count(key)) continue;
    cache_.put(key, mapper->map(res.get(), row), expires, t);
  }
  if (end < n) {  // yield the strand between chunks
    boost::asio::post(
        ctx_.strand, guard([this, res, mapper, end, expires, run] { insert_preload(res, mapper, end, expires, run); }));
    return;
  }
  preload_running_ = false;
  stats_.preloads.inc();
  stats_.preload_rows.set(n);
  stats_.cache_entries.set(static_cast<double>(cache_.size()));
  ctx_.log->info("preloaded {} rows in {:.0f} ms", n,
                 std::chrono::duration<double, std::milli>(now() - preload_started_).count());
  if (preload_again_) start_preload();
}

}  // namespace routerpulse::pg_enrich
