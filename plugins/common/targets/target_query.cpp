#include "targets/target_query.hpp"

#include <algorithm>
#include <stdexcept>

#include "pg/pg_dsn.hpp"

namespace routerpulse::targets {

std::vector<TargetSpec> targets_from_result(const PGresult* res, std::vector<std::string>& problems, NameRule rule) {
  const std::string key = name_key(rule);
  const int cols = PQnfields(res);
  int addr_col = -1;
  for (int c = 0; c < cols; ++c)
    if (PQfname(res, c) == key) addr_col = c;
  if (addr_col < 0) throw std::runtime_error("the query returns no `" + key + "` column");
  std::vector<TargetSpec> out;
  std::vector<TargetSpec> ordered;
  const int rows = PQntuples(res);
  out.reserve(static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    const std::string row = "query row " + std::to_string(r + 1);
    if (PQgetisnull(res, r, addr_col)) {
      problems.push_back(row + ": " + key + " is NULL");
      continue;
    }
    TargetSpec t;
    t.name = PQgetvalue(res, r, addr_col);
    if (!valid_name(t.name, rule)) {
      problems.push_back(row + ": \"" + t.name + "\" is not " +
                         (rule == NameRule::device ? "a MAC address, IP address or device identity"
                                                   : "an IPv4/IPv6 address or a host name"));
      continue;
    }
    for (int c = 0; c < cols; ++c) {
      if (c == addr_col || PQgetisnull(res, r, c)) continue;
      std::string v = PQgetvalue(res, r, c);
      if (v.empty()) continue;
      t.tags.push_back({PQfname(res, c), std::move(v)});
    }
    std::sort(t.tags.begin(), t.tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
    t.origin = row;
    out.push_back(std::move(t));
  }
  std::vector<TargetSpec> unique;
  merge_targets(unique, out);
  return unique;
}

TargetQuery::TargetQuery(Strand strand, Clock& clock, std::shared_ptr<spdlog::logger> log, QueryConfig cfg,
                         OnRows on_rows)
    : strand_(std::move(strand)),
      clock_(clock),
      log_(std::move(log)),
      cfg_(std::move(cfg)),
      on_rows_(std::move(on_rows)),
      refresh_timer_(clock.make_timer(strand_)),
      reconnect_timer_(clock.make_timer(strand_)),
      backoff_(std::chrono::seconds(1), std::chrono::seconds(60)) {}

TargetQuery::~TargetQuery() { stop(); }

void TargetQuery::start() {
  stopped_ = false;
  connect();
}

void TargetQuery::stop() {
  stopped_ = true;
  refresh_timer_->cancel();
  reconnect_timer_->cancel();
  if (conn_) {
    auto c = std::move(conn_);
    c->close("stopped");
  }
}

void TargetQuery::connect() {
  if (stopped_) return;
  const uint64_t sid = ++session_;
  pg::PgConnection::Callbacks cb;
  std::weak_ptr<TargetQuery> w = weak_from_this();
  cb.on_connected = [w, sid] {
    auto self = w.lock();
    if (!self || self->stopped_ || sid != self->session_ || !self->conn_) return;
    self->backoff_.reset();
    self->log_->info("{}: connected to PostgreSQL ({})", self->cfg_.option, pg::parse_dsn(self->cfg_.dsn).display());
    if (!self->cfg_.listen.empty()) {
      self->conn_->exec("LISTEN " + pg::quote_identifier(self->cfg_.listen), [w](pg::PgResult r) {
        auto s = w.lock();
        if (s && !r.ok() && !r.connection_error) s->log_->error("{}: LISTEN failed: {}", s->cfg_.option, r.error);
      });
    }
    self->running_query_ = false;
    self->run();
  };
  cb.on_lost = [w, sid](const std::string& why) {
    auto self = w.lock();
    if (self && sid == self->session_) self->lost(why);
  };
  cb.on_notify = [w](const std::string&, const std::string&) {
    if (auto self = w.lock()) self->refresh_now();
  };
  cb.on_notice = [](const std::string&) {};
  conn_ = std::make_shared<pg::PgConnection>(strand_, clock_, cfg_.dsn, cfg_.connect_timeout, std::move(cb));
  conn_->connect();
}

void TargetQuery::lost(const std::string& why) {
  conn_.reset();
  running_query_ = false;
  if (stopped_) return;
  Duration d = backoff_.next();
  log_->warn("{}: PostgreSQL connection lost ({}); keeping the current targets, reconnecting in {}", cfg_.option, why,
             format_duration(d));
  reconnect_timer_->arm(d, [this] { connect(); });
}

void TargetQuery::refresh_now() {
  if (running_query_) {
    rerun_ = true;
    return;
  }
  run();
}

void TargetQuery::run() {
  if (stopped_ || !conn_ || !conn_->ready()) return;
  refresh_timer_->cancel();
  running_query_ = true;
  rerun_ = false;
  std::weak_ptr<TargetQuery> w = weak_from_this();
  bool queued = conn_->exec(cfg_.sql, [w](pg::PgResult r) {
    auto self = w.lock();
    if (!self || self->stopped_) return;
    self->running_query_ = false;
    if (r.ok()) {
      std::vector<std::string> problems;
      try {
        auto list = targets_from_result(r.res.get(), problems, self->cfg_.rule);
        for (size_t i = 0; i < problems.size() && i < 10; ++i)
          self->log_->warn("{}: {}", self->cfg_.option, problems[i]);
        if (problems.size() > 10) self->log_->warn("{}: {} more bad rows", self->cfg_.option, problems.size() - 10);
        ++self->loads_;
        self->on_rows_(std::move(list));
      } catch (const std::exception& e) {
        self->log_->error("{}: {}", self->cfg_.option, e.what());
      }
    } else if (!r.connection_error) {
      self->log_->error("{}: the query failed: {}; keeping the current targets", self->cfg_.option, r.error);
    }
    if (self->rerun_) {
      self->run();
      return;
    }
    if (self->cfg_.refresh > Duration::zero())
      self->refresh_timer_->arm(self->cfg_.refresh, [s = self.get()] { s->run(); });
  });
  if (!queued) running_query_ = false;
}

}  // namespace routerpulse::targets
