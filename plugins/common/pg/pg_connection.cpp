#include "pg/pg_connection.hpp"

#include <poll.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "pg/pg_dsn.hpp"

namespace routerpulse::pg {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

/// Zero-timeout readiness check: never blocks.
bool socket_ready(int fd, short events) {
  if (fd < 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

PgResult to_result(PgResultPtr r) {
  PgResult out;
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    out.error = trim(PQresultErrorMessage(r.get()));
    if (out.error.empty()) out.error = PQresStatus(st);
  }
  out.res = std::move(r);
  return out;
}

}  // namespace

PgConnection::PgConnection(Strand strand, Clock& clock, std::string dsn, Duration connect_timeout, Callbacks callbacks)
    : strand_(std::move(strand)),
      clock_(clock),
      dsn_(std::move(dsn)),
      connect_timeout_(connect_timeout),
      cb_(std::move(callbacks)),
      sock_(strand_),
      connect_timer_(clock.make_timer(strand_)),
      resolver_(strand_) {}

PgConnection::~PgConnection() { teardown(); }

std::string PgConnection::conn_error() const {
  std::string e = conn_ ? trim(PQerrorMessage(conn_)) : std::string();
  return e.empty() ? std::string("connection failed") : e;
}

void PgConnection::notice_receiver(void* self, const PGresult* res) {
  // Called synchronously from inside libpq calls made by this object.
  auto* c = static_cast<PgConnection*>(self);
  if (c->cb_.on_notice) c->cb_.on_notice(trim(PQresultErrorMessage(res)));
}

std::optional<SteadyTime> PgConnection::oldest_request() const {
  if (requests_.empty()) return std::nullopt;
  return requests_.front().sent;
}

void PgConnection::connect() {
  if (state_ != State::idle) return;
  auto self = shared_from_this();
  // The timer is a member: its callback never runs after this object is gone.
  connect_timer_->arm(connect_timeout_, [this] {
    if (state_ == State::ready || state_ == State::closed) return;
    fail("connect timed out after " + format_duration(connect_timeout_));
  });
  DsnInfo info = parse_dsn(dsn_);
  if (!info.needs_resolution()) {
    state_ = State::connecting;
    start_libpq({}, {});
    return;
  }
  state_ = State::resolving;
  resolver_.async_resolve(info.host, info.port.empty() ? "5432" : info.port,
                          [self, host = info.host](const boost::system::error_code& ec,
                                                   boost::asio::ip::tcp::resolver::results_type results) {
                            if (self->state_ != State::resolving) return;
                            if (ec || results.empty()) {
                              self->fail("cannot resolve host \"" + host + "\": " + (ec ? ec.message() : "no address"));
                              return;
                            }
                            // Every address, in resolver order: libpq tries them in turn when
                            // `host` and `hostaddr` are lists of the same length (§34.1.1.3).
                            std::string hosts, addrs;
                            int n = 0;
                            for (const auto& entry : results) {
                              if (n++ == 8) break;
                              hosts += (hosts.empty() ? "" : ",") + host;
                              addrs += (addrs.empty() ? "" : ",") + entry.endpoint().address().to_string();
                            }
                            self->state_ = State::connecting;
                            self->start_libpq(hosts, addrs);
                          });
}

void PgConnection::start_libpq(const std::string& hosts, const std::string& hostaddrs) {
  // The DSN goes in as `dbname` with expand_dbname=1 so both the keyword/value
  // and the URI form work; later `host`/`hostaddr` entries override (§34.1.2).
  const bool resolved = !hostaddrs.empty();
  const char* keys[] = {"dbname", resolved ? "host" : nullptr, "hostaddr", nullptr};
  const char* vals[] = {dsn_.c_str(), hosts.c_str(), hostaddrs.c_str(), nullptr};
  conn_ = PQconnectStartParams(keys, vals, 1);
  if (!conn_) {
    fail("libpq could not allocate a connection");
    return;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    fail(conn_error());
    return;
  }
  PQsetNoticeReceiver(conn_, &PgConnection::notice_receiver, this);
  // After PQconnectStart, behave as if PQconnectPoll returned WRITING (§34.1).
  connect_step(PGRES_POLLING_WRITING);
}

void PgConnection::rebind_socket() {
  // libpq may switch sockets while connecting (several hosts, SSL fallback),
  // and a new socket can reuse the old number: re-register on every step.
  if (sock_.is_open()) sock_.release();
  armed_[0] = armed_[1] = false;
  int fd = PQsocket(conn_);
  if (fd < 0) return;
  boost::system::error_code ec;
  sock_.assign(fd, ec);
  if (ec) fail("cannot watch the PostgreSQL socket: " + ec.message());
}

void PgConnection::connect_step(PostgresPollingStatusType st) {
  if (state_ != State::connecting) return;
  switch (st) {
    case PGRES_POLLING_OK: {
      connect_timer_->cancel();
      if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
        fail("cannot switch the connection to non-blocking pipeline mode: " + conn_error());
        return;
      }
      rebind_socket();
      if (state_ != State::connecting) return;
      state_ = State::ready;
      arm(Wait::read, [this] { on_readable(); });
      if (cb_.on_connected) cb_.on_connected();
      return;
    }
    case PGRES_POLLING_FAILED: fail(conn_error()); return;
    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
      rebind_socket();
      if (state_ != State::connecting) return;
      arm(st == PGRES_POLLING_READING ? Wait::read : Wait::write, [this] { connect_step(PQconnectPoll(conn_)); });
      return;
    default:  // PGRES_POLLING_ACTIVE (unused since PostgreSQL 7.4): poll again
      boost::asio::post(strand_, [self = shared_from_this()] {
        if (self->state_ == State::connecting) self->connect_step(PQconnectPoll(self->conn_));
      });
  }
}

void PgConnection::arm(Wait w, std::function<void()> fn) {
  const int i = static_cast<int>(w);
  if (armed_[i] || !sock_.is_open()) return;
  armed_[i] = true;
  const uint64_t gen = ++gen_[i];
  auto run = [self = shared_from_this(), i, gen, fn = std::move(fn)] {
    if (self->state_ == State::closed || self->gen_[i] != gen || !self->armed_[i]) return;
    self->armed_[i] = false;
    fn();
  };
  sock_.async_wait(w == Wait::read ? boost::asio::posix::descriptor_base::wait_read
                                   : boost::asio::posix::descriptor_base::wait_write,
                   boost::asio::bind_executor(strand_, [run](const boost::system::error_code& ec) {
                     if (!ec) run();
                   }));
  // The wait is registered; if the socket is ready already, an edge may have
  // been consumed before it was: service it now (a later duplicate is ignored).
  if (socket_ready(sock_.native_handle(), w == Wait::read ? POLLIN : POLLOUT)) boost::asio::post(strand_, run);
}

bool PgConnection::prepare(const std::string& name, const std::string& sql, int nparams, Handler h) {
  if (state_ != State::ready) return false;
  return enqueue(PQsendPrepare(conn_, name.c_str(), sql.c_str(), nparams, nullptr) == 1, std::move(h));
}

bool PgConnection::describe_prepared(const std::string& name, Handler h) {
  if (state_ != State::ready) return false;
  return enqueue(PQsendDescribePrepared(conn_, name.c_str()) == 1, std::move(h));
}

bool PgConnection::exec_prepared(const std::string& name, const std::vector<std::string>& params, Handler h) {
  if (state_ != State::ready) return false;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  int ok =
      PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  return enqueue(ok == 1, std::move(h));
}

bool PgConnection::exec(const std::string& sql, Handler h) {
  if (state_ != State::ready) return false;
  return enqueue(PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1, std::move(h));
}

bool PgConnection::enqueue(bool sent_ok, Handler h) {
  // One sync per request: an error aborts only that request (§34.5.1.3).
  if (!sent_ok || PQpipelineSync(conn_) != 1) {
    fail(conn_error());
    return false;
  }
  requests_.push_back(Request{std::move(h), nullptr, 0, clock_.steady_now()});
  flush();
  return true;
}

void PgConnection::flush() {
  if (state_ != State::ready) return;
  int r = PQflush(conn_);
  if (r < 0) {
    fail(conn_error());
  } else if (r == 1) {
    // libpq §34.4: wait until write-ready (or read-ready: on_readable flushes too).
    flush_pending_ = true;
    arm(Wait::write, [this] { flush(); });
  } else {
    flush_pending_ = false;
  }
}

void PgConnection::on_readable() {
  if (state_ != State::ready) return;
  if (PQconsumeInput(conn_) != 1) {
    fail(conn_error());
    return;
  }
  drain_results();
  if (state_ != State::ready) return;
  deliver_notifications();
  if (state_ != State::ready) return;
  if (flush_pending_) flush();
  if (state_ != State::ready) return;
  arm(Wait::read, [this] { on_readable(); });
}

void PgConnection::drain_results() {
  auto self = shared_from_this();  // handlers may drop the owner's reference
  while (state_ == State::ready && !requests_.empty()) {
    if (PQisBusy(conn_)) return;
    PgResultPtr r(PQgetResult(conn_));
    Request& q = requests_.front();
    if (q.stage == 0) {
      if (!r || PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) {
        fail("unexpected protocol state: a request got no result");
        return;
      }
      q.first = std::move(r);
      q.stage = 1;
    } else if (q.stage == 1) {
      if (!r) q.stage = 2;  // a further result of the same request is dropped
    } else {
      if (!r || PQresultStatus(r.get()) != PGRES_PIPELINE_SYNC) {
        fail("unexpected protocol state: missing pipeline sync");
        return;
      }
      Request done = std::move(q);
      requests_.pop_front();
      done.handler(to_result(std::move(done.first)));
    }
  }
}

void PgConnection::deliver_notifications() {
  auto self = shared_from_this();
  while (state_ == State::ready) {
    PGnotify* n = PQnotifies(conn_);
    if (!n) return;
    std::string channel = n->relname ? n->relname : "";
    std::string payload = n->extra ? n->extra : "";
    PQfreemem(n);
    if (cb_.on_notify) cb_.on_notify(channel, payload);
  }
}

void PgConnection::fail_requests(const std::string& why) {
  if (requests_.empty()) return;
  auto pending = std::make_shared<std::deque<Request>>(std::move(requests_));
  requests_.clear();
  // Deliver later on the strand: the caller may be inside one of our methods.
  boost::asio::post(strand_, [pending, why] {
    for (auto& q : *pending) q.handler(PgResult::failed(why, true));
  });
}

void PgConnection::teardown() {
  connect_timer_->cancel();
  resolver_.cancel();
  if (sock_.is_open()) sock_.release();  // libpq owns the descriptor and closes it
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

void PgConnection::close(const std::string& why) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  teardown();
  fail_requests(why);
}

void PgConnection::fail(const std::string& why) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  teardown();
  fail_requests(why);
  if (cb_.on_lost) boost::asio::post(strand_, [self = shared_from_this(), why] { self->cb_.on_lost(why); });
}

}  // namespace routerpulse::pg
