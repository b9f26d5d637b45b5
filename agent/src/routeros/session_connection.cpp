// Internal: connection lifecycle of a RouterOS session — connect, TLS, login,
// reading and writing, keepalive, failure handling and reconnect backoff.
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "routerpulse/config.hpp"
#include "routeros/session_impl.hpp"

namespace routerpulse::routeros::detail {

namespace {
constexpr size_t kReadChunk = 64 * 1024;

std::string dur(Clock::duration d) { return format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(d)); }
}  // namespace

SessionImpl::SessionImpl(boost::asio::io_context& io, RouterConfig c, SelfMetrics& stats, HealthRegistry* health,
                         std::shared_ptr<spdlog::logger> log, routerpulse::Clock& clock)
    : cfg(std::move(c)),
      clock_(clock),
      strand_(boost::asio::make_strand(io)),
      log_(log ? std::move(log) : spdlog::default_logger()),
      stats_(stats),
      health_(health),
      up_gauge_(stats.gauge("routeros", "session_up", "1 while the API session to the router is logged in",
                            {{"router", cfg.name}})),
      reconnects_(stats.counter("routeros", "reconnects_total", "API connection attempts after the first one",
                                {{"router", cfg.name}})),
      resolver_(strand_),
      decoder_(cfg.limits),
      connect_timer_(clock.make_timer(strand_)),
      backoff_timer_(clock.make_timer(strand_)),
      keepalive_timer_(clock.make_timer(strand_)),
      rng_(std::random_device{}()) {
  for (ErrorKind k : {ErrorKind::timeout, ErrorKind::trap, ErrorKind::fatal, ErrorKind::protocol, ErrorKind::connect,
                      ErrorKind::login})
    errors_[k] = &stats.counter("routeros", "errors_total", "RouterOS API errors by kind",
                                {{"router", cfg.name}, {"kind", to_string(k)}});
}

Error SessionImpl::make_error(ErrorKind kind, const std::string& what, int category) const {
  return Error{kind, "router " + cfg.name + ": " + what, category};
}

void SessionImpl::count_error(ErrorKind k) {
  auto it = errors_.find(k);
  if (it != errors_.end()) it->second->inc();
}

void SessionImpl::set_state(SessionState s, const std::string& detail) {
  state_.store(s);
  if (health_) {
    switch (s) {
      case SessionState::up: health_->set_router(cfg.name, HealthState::healthy); break;
      case SessionState::stopped: break;
      case SessionState::backoff: health_->set_router(cfg.name, HealthState::unhealthy, detail); break;
      default:
        health_->set_router(cfg.name, ever_up_ ? HealthState::unhealthy : HealthState::degraded,
                            detail.empty() ? std::string(to_string(s)) : detail);
        break;
    }
  }
  up_gauge_.set(s == SessionState::up ? 1.0 : 0.0);
  for (auto& [id, obs] : observers_) {
    auto fn = obs.first;
    auto ex = obs.second ? obs.second : boost::asio::any_io_executor(strand_);
    boost::asio::post(ex, [fn, s, detail] { fn(s, detail); });
  }
}

void SessionImpl::add_observer(uint64_t id, StateObserver fn, boost::asio::any_io_executor ex) {
  observers_[id] = {fn, ex};
  auto s = state_.load();
  std::string detail = s == SessionState::up ? std::string() : last_error_;
  boost::asio::post(ex ? ex : boost::asio::any_io_executor(strand_), [fn, s, detail] { fn(s, detail); });
}

void SessionImpl::remove_observer(uint64_t id) { observers_.erase(id); }

void SessionImpl::start() {
  if (started_ || stopped_) return;
  started_ = true;
  connect();
}

void SessionImpl::connect() {
  if (stopped_) return;
  const uint64_t gen = ++gen_;
  if (counters_.connect_attempts.fetch_add(1) > 0) reconnects_.inc();
  decoder_.reset();
  out_.clear();
  write_in_flight_ = false;
  probe_in_flight_ = false;
  try {
    if (cfg.tls && !tls_ctx_) tls_ctx_ = make_tls_context(cfg.tls_verify, cfg.ca_file);
  } catch (const std::exception& e) {
    set_state(SessionState::connecting, "");
    fail_connection(make_error(ErrorKind::connect, e.what()));
    return;
  }
  transport_ = std::make_shared<Transport>(strand_, cfg.tls ? tls_ctx_ : nullptr);
  set_state(SessionState::connecting, last_error_);
  connect_timer_->arm(cfg.connect_timeout, [self = shared_from_this(), gen] {
    if (gen != self->gen_) return;
    auto s = self->state_.load();
    if (s == SessionState::connecting || s == SessionState::logging_in)
      self->fail_connection(self->make_error(s == SessionState::logging_in ? ErrorKind::login : ErrorKind::connect,
                                             std::string(s == SessionState::logging_in ? "login" : "connect") +
                                                 " timed out after " + dur(self->cfg.connect_timeout)));
  });
  resolver_.async_resolve(
      cfg.host, std::to_string(cfg.effective_port()),
      [self = shared_from_this(), gen](boost::system::error_code ec, tcp::resolver::results_type results) {
        if (gen != self->gen_) return;
        if (ec) {
          self->fail_connection(
              self->make_error(ErrorKind::connect, "cannot resolve " + self->cfg.host + ": " + ec.message()));
          return;
        }
        boost::asio::async_connect(
            self->transport_->socket(), results,
            [self, gen, tr = self->transport_](boost::system::error_code ec2, const tcp::endpoint&) {
              if (gen != self->gen_) return;
              if (ec2) {
                self->fail_connection(self->make_error(
                    ErrorKind::connect, "cannot connect to " + self->cfg.host + ":" +
                                            std::to_string(self->cfg.effective_port()) + ": " + ec2.message()));
                return;
              }
              self->on_connected(gen);
            });
      });
}

void SessionImpl::on_connected(uint64_t gen) {
  boost::system::error_code ec;
  transport_->socket().set_option(tcp::no_delay(true), ec);
  transport_->socket().set_option(boost::asio::socket_base::keep_alive(true), ec);
  if (!transport_->is_tls()) {
    start_read(gen);
    login();
    return;
  }
  const std::string server = cfg.tls_server_name.empty() ? cfg.host : cfg.tls_server_name;
  transport_->async_handshake(
      server, cfg.tls_verify, [self = shared_from_this(), gen, tr = transport_](boost::system::error_code e) {
        if (gen != self->gen_) return;
        if (e) {
          self->fail_connection(self->make_error(ErrorKind::connect, "TLS handshake failed: " + e.message()));
          return;
        }
        self->start_read(gen);
        self->login();
      });
}

void SessionImpl::login() {
  set_state(SessionState::logging_in, last_error_);
  auto on_result = [this](Result r) {
    if (r.error.kind == ErrorKind::trap) {
      fail_connection(make_error(ErrorKind::login, "login refused: " + strip_router(r.error.message)));
      return;
    }
    if (r.error) return;  // the connection failure was handled already
    if (const auto* ret = r.done.get("ret")) {
      if (cfg.login == LoginMethod::plain) {
        fail_connection(make_error(ErrorKind::login,
                                   "router asked for the legacy MD5 login (RouterOS < 6.43) but login: plain is set"));
        return;
      }
      login_legacy_response(*ret);
      return;
    }
    if (cfg.login == LoginMethod::legacy) {
      fail_connection(make_error(ErrorKind::login, "router sent no =ret= challenge for the legacy login"));
      return;
    }
    on_logged_in();
  };
  Command cmd("/login");
  if (cfg.login != LoginMethod::legacy) cmd.attr("name", cfg.username).attr("password", cfg.password);
  send_internal(std::move(cmd), on_result, cfg.connect_timeout);
}

void SessionImpl::login_legacy_response(const std::string& challenge) {
  std::string response;
  try {
    response = legacy_login_response(cfg.password, challenge);
  } catch (const std::exception& e) {
    fail_connection(make_error(ErrorKind::login, std::string("invalid legacy login challenge: ") + e.what()));
    return;
  }
  Command cmd("/login");
  cmd.attr("name", cfg.username).attr("response", response);
  send_internal(
      std::move(cmd),
      [this](Result r) {
        if (r.error.kind == ErrorKind::trap) {
          fail_connection(make_error(ErrorKind::login, "login refused: " + strip_router(r.error.message)));
          return;
        }
        if (r.error) return;
        on_logged_in();
      },
      cfg.connect_timeout);
}

void SessionImpl::on_logged_in() {
  connect_timer_->cancel();
  backoff_attempt_ = 0;
  ever_up_ = true;
  last_error_.clear();
  counters_.connects.fetch_add(1);
  log_->info("router {}: API session up ({}:{}{})", cfg.name, cfg.host, cfg.effective_port(), cfg.tls ? ", TLS" : "");
  set_state(SessionState::up, "");
  auto queued = std::move(queue_);
  queue_.clear();
  for (auto& p : queued) send_command(p);
  for (auto& [id, e] : streams_)
    if (e->tag.empty()) send_stream(e);
  arm_keepalive();
}

void SessionImpl::start_read(uint64_t gen) {
  if (!rbuf_) rbuf_.reset(new char[kReadChunk]);
  transport_->async_read_some(
      boost::asio::buffer(rbuf_.get(), kReadChunk),
      [self = shared_from_this(), gen, tr = transport_](boost::system::error_code ec, size_t n) {
        if (gen != self->gen_) return;
        if (ec) {
          self->fail_connection(self->make_error(ErrorKind::connect, ec == boost::asio::error::eof
                                                                         ? "connection closed by the router"
                                                                         : "connection lost: " + ec.message()));
          return;
        }
        self->on_read(gen, n);
      });
}

void SessionImpl::on_read(uint64_t gen, size_t n) {
  last_rx_ = now();
  counters_.bytes_received.fetch_add(n);
  try {
    decoder_.feed(rbuf_.get(), n, [&](std::span<const std::string_view> words) {
      if (gen != gen_) return;  // the connection failed while handling an earlier sentence
      counters_.replies_received.fetch_add(1);
      if (!try_row_fast_path(words)) handle_reply(parse_reply(words));
    });
  } catch (const ProtocolError& e) {
    read_touched_.clear();
    if (gen == gen_) fail_connection(make_error(ErrorKind::protocol, e.what()));
    return;
  }
  // Natural batch boundary for the zero-copy streams that got rows.
  for (auto& e : read_touched_) {
    e->touched = false;
    if (e->opts.on_read_end && !e->handle->cancelled_.load()) e->opts.on_read_end();
  }
  read_touched_.clear();
  if (gen == gen_) start_read(gen);
}

void SessionImpl::send_sentence(const Command& cmd, const std::string& tag) {
  cmd.encode(out_, tag);
  counters_.commands_sent.fetch_add(1);
  if (!write_in_flight_) start_write();
}

void SessionImpl::start_write() {
  if (out_.empty() || !transport_) return;
  write_in_flight_ = true;
  writing_.swap(out_);
  out_.clear();
  transport_->async_write(boost::asio::buffer(writing_), [self = shared_from_this(), gen = gen_, tr = transport_](
                                                             boost::system::error_code ec, size_t) {
    if (gen != self->gen_) return;
    self->write_in_flight_ = false;
    self->writing_.clear();
    if (ec) {
      self->fail_connection(self->make_error(ErrorKind::connect, "write failed: " + ec.message()));
      return;
    }
    self->start_write();
  });
}

void SessionImpl::fail_connection(const Error& cause, bool count) {
  if (stopped_) return;
  ++gen_;  // every handler of the old connection becomes a no-op
  resolver_.cancel();
  connect_timer_->cancel();
  keepalive_timer_->cancel();
  if (transport_) transport_->close();
  write_in_flight_ = false;
  out_.clear();
  probe_in_flight_ = false;
  if (count) count_error(cause.kind);
  last_error_ = cause.message;
  if (state_.load() == SessionState::up)
    log_->warn("{}", cause.message);
  else
    log_->debug("{}", cause.message);
  fail_inflight(cause);
  schedule_reconnect();
}

void SessionImpl::schedule_reconnect() {
  using namespace std::chrono;
  const auto min = duration_cast<nanoseconds>(cfg.reconnect_initial);
  const auto max = duration_cast<nanoseconds>(cfg.reconnect_max);
  nanoseconds d = min;
  for (unsigned i = 0; i < backoff_attempt_ && d < max; ++i) d *= 2;
  if (d > max) d = max;
  ++backoff_attempt_;
  std::uniform_int_distribution<int64_t> dist(d.count() / 2, std::max<int64_t>(d.count(), 1));
  const nanoseconds delay(dist(rng_));
  set_state(SessionState::backoff,
            last_error_ + "; retrying in " + format_duration(duration_cast<milliseconds>(delay)));
  backoff_timer_->arm(delay, [self = shared_from_this(), gen = gen_] {
    if (gen != self->gen_ || self->stopped_) return;
    self->connect();
  });
}

void SessionImpl::arm_keepalive() {
  if (cfg.keepalive.count() <= 0) return;
  keepalive_timer_->arm(cfg.keepalive, [self = shared_from_this(), gen = gen_] {
    if (gen != self->gen_) return;
    self->on_keepalive(gen);
  });
}

void SessionImpl::on_keepalive(uint64_t gen) {
  if (state_.load() != SessionState::up) return;
  if (now() - last_rx_ >= cfg.keepalive) probe_now();
  arm_keepalive();
}

void SessionImpl::probe_now() {
  if (state_.load() != SessionState::up || probe_in_flight_ || stopped_) return;
  probe_in_flight_ = true;
  const uint64_t gen = gen_;
  const auto sent = now();
  send_internal(
      Command("/system/identity/print"),
      [this, gen, sent](Result r) {
        if (gen != gen_) return;
        probe_in_flight_ = false;
        if (r.error.kind != ErrorKind::timeout) return;
        // The probe's deadline is dead_after: dead only if not one byte came
        // in all that time (a router busy with a big print still sends).
        if (now() - std::max(last_rx_, sent) >= cfg.dead_after) {
          fail_connection(make_error(ErrorKind::timeout, "no data from the router for " + dur(cfg.dead_after) +
                                                             " while a keepalive probe was outstanding; reconnecting"));
        }
      },
      std::chrono::duration_cast<Clock::duration>(cfg.dead_after));
}

void SessionImpl::stop(std::function<void()> done) {
  if (!stopped_) {
    stopped_ = true;
    ++gen_;
    resolver_.cancel();
    connect_timer_->cancel();
    backoff_timer_->cancel();
    keepalive_timer_->cancel();
    if (transport_) transport_->close();
    const Error err = make_error(ErrorKind::stopped, "session stopped");
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& p : queued)
      complete(p, Result{make_error(ErrorKind::stopped, p->cmd.path() + ": session stopped"), {}, {}, false});
    auto streams = std::move(streams_);
    streams_.clear();
    stream_tags_.clear();
    fail_inflight(err);
    for (auto& [id, e] : streams)
      end_stream(e, make_error(ErrorKind::stopped, e->handle->command().path() + ": session stopped"));
    set_state(SessionState::stopped, "stopped");
    log_->debug("router {}: session stopped", cfg.name);
  }
  if (done) boost::asio::post(strand_, std::move(done));
}

}  // namespace routerpulse::routeros::detail
