#include "preload.hpp"

#include <boost/asio/steady_timer.hpp>

#include "pg_connection.hpp"
#include "statements.hpp"

namespace routerpulse::pg_enrich {

namespace {

struct PreloadRun : std::enable_shared_from_this<PreloadRun> {
  PreloadRun(Strand strand, std::string sql_, Duration timeout_, std::function<void(PgResult)> done_)
      : timer(strand), sql(std::move(sql_)), timeout(timeout_), done(std::move(done_)) {}

  boost::asio::steady_timer timer;
  std::shared_ptr<PgConnection> conn;
  std::string sql;
  Duration timeout;
  std::function<void(PgResult)> done;

  void finish(PgResult r) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    timer.cancel();
    if (conn) conn->close("preload finished");
    d(std::move(r));
  }
};

}  // namespace

void run_preload(Strand strand, const Settings& s, std::function<void(PgResult)> done) {
  auto run = std::make_shared<PreloadRun>(strand, *s.preload_query, s.preload_timeout, std::move(done));
  std::weak_ptr<PreloadRun> w = run;
  PgConnection::Callbacks cb;
  cb.on_connected = [w] {
    auto r = w.lock();
    if (!r) return;
    bool sent = r->conn->exec(r->sql, [w](PgResult res) {
      if (auto rr = w.lock()) rr->finish(std::move(res));
    });
    if (!sent) r->finish(PgResult::failed("connection lost before preload_query was sent", true));
  };
  cb.on_lost = [w](const std::string& why) {
    if (auto r = w.lock()) r->finish(PgResult::failed(why, true));
  };
  cb.on_notice = [](const std::string&) {};  // the lookup session reports server notices
  run->conn = std::make_shared<PgConnection>(strand, s.dsn, s.connect_timeout, std::move(cb));
  // The timer's handler keeps the run alive until it finishes or times out.
  run->timer.expires_after(s.connect_timeout + s.preload_timeout);
  run->timer.async_wait([run](const boost::system::error_code& ec) {
    if (!ec) run->finish(PgResult::failed("preload_query did not finish within " + format_duration(run->timeout), true));
  });
  run->conn->connect();
}

}  // namespace routerpulse::pg_enrich
