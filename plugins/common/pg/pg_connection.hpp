// plugins/common — one non-blocking libpq connection driven by Boost.Asio.
//
// The connection follows libpq's asynchronous API (PostgreSQL 15 §34.4
// "Asynchronous Command Processing" and §34.5 "Pipeline Mode"):
//   * PQconnectStartParams + PQconnectPoll, waiting for the socket with
//     boost::asio::posix::stream_descriptor::async_wait; a host name is first
//     resolved with Asio's resolver so libpq never calls getaddrinfo itself;
//   * once connected: PQsetnonblocking(1) and PQenterPipelineMode, so many
//     requests are on the wire at once; every request is followed by its own
//     PQpipelineSync, so an error in one request never aborts another;
//   * PQconsumeInput / PQisBusy / PQgetResult when the socket is readable,
//     PQflush when it is writable, PQnotifies for LISTEN/NOTIFY.
// Asio registers descriptors edge-triggered; to never lose a wake-up, every
// wait is followed by a zero-timeout poll(2) of the socket, and a ready socket
// is serviced at once (a duplicate wake-up is ignored by a generation count).
//
// Time (the connect timeout, when a request was sent) comes from the
// component's Clock, so tests can drive it with a ManualClock.
//
// Threading: every method must be called on `strand`, and every callback and
// handler runs there. Keep the object in a std::shared_ptr: pending waits hold
// a reference. A PgConnection connects once; reconnecting means a new object.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <libpq-fe.h>

#include "pg/pg_result.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/plugin.hpp"

namespace routerpulse::pg {

class PgConnection : public std::enable_shared_from_this<PgConnection> {
 public:
  /// Called with the request's outcome, exactly once, on the strand.
  using Handler = std::function<void(PgResult)>;

  struct Callbacks {
    /// The connection is established and accepts requests.
    std::function<void()> on_connected;
    /// The connection failed or was lost on its own (connect error, connect
    /// timeout, I/O error, server shutdown). Called at most once, after every
    /// pending handler got its connection error. Not called after close().
    std::function<void(const std::string& why)> on_lost;
    /// A NOTIFY arrived on a channel this session LISTENs to.
    std::function<void(const std::string& channel, const std::string& payload)> on_notify;
    /// A server notice or warning (libpq's notice receiver; instead of stderr).
    std::function<void(const std::string& message)> on_notice;
  };

  /// `dsn` must already have passed parse_dsn. `connect_timeout` bounds the
  /// whole connect (resolution, TCP, TLS, authentication), measured on `clock`
  /// (which must outlive the connection).
  PgConnection(Strand strand, Clock& clock, std::string dsn, Duration connect_timeout, Callbacks callbacks);
  /// Frees the libpq connection (PQfinish). Pending handlers are not called.
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// Starts connecting; later on_connected or on_lost. Call once.
  void connect();
  /// True between on_connected and close()/on_lost.
  bool ready() const noexcept { return state_ == State::ready; }

  // Requests. Each returns false (and never calls `h`) when the connection is
  // not ready or libpq refused to queue the request — in the latter case the
  // connection is failed (on_lost follows). On true, `h` is called exactly once.

  /// PQsendPrepare: a named statement with `nparams` text parameters.
  bool prepare(const std::string& name, const std::string& sql, int nparams, Handler h);
  /// PQsendDescribePrepared: result columns (PQnfields/PQfname/PQftype) and PQnparams.
  bool describe_prepared(const std::string& name, Handler h);
  /// PQsendQueryPrepared with text parameters and text results.
  bool exec_prepared(const std::string& name, const std::vector<std::string>& params, Handler h);
  /// PQsendQueryParams without parameters (one SQL command, e.g. LISTEN).
  bool exec(const std::string& sql, Handler h);

  /// Requests sent and not yet answered.
  size_t in_flight() const noexcept { return requests_.size(); }
  /// When the oldest unanswered request was sent (for query timeouts).
  std::optional<SteadyTime> oldest_request() const;

  /// Closes the connection; every pending handler gets a connection error
  /// carrying `why`. on_lost is not called. Idempotent.
  void close(const std::string& why);

 private:
  enum class State { idle, resolving, connecting, ready, closed };
  enum class Wait { read = 0, write = 1 };
  struct Request {
    Handler handler;
    PgResultPtr first;  // the request's result (stage 1+)
    int stage = 0;      // 0: want result, 1: want end-of-results NULL, 2: want PIPELINE_SYNC
    SteadyTime sent;
  };

  void start_libpq(const std::string& hosts, const std::string& hostaddrs);
  void connect_step(PostgresPollingStatusType st);
  void rebind_socket();
  void arm(Wait w, std::function<void()> fn);
  bool enqueue(bool sent_ok, Handler h);
  void on_readable();
  void drain_results();
  void deliver_notifications();
  void flush();
  void fail(const std::string& why);
  void fail_requests(const std::string& why);
  void teardown();
  std::string conn_error() const;
  static void notice_receiver(void* self, const PGresult* res);

  Strand strand_;
  Clock& clock_;
  std::string dsn_;
  Duration connect_timeout_;
  Callbacks cb_;
  State state_ = State::idle;
  PGconn* conn_ = nullptr;
  boost::asio::posix::stream_descriptor sock_;
  std::unique_ptr<Timer> connect_timer_;
  boost::asio::ip::tcp::resolver resolver_;
  std::deque<Request> requests_;
  uint64_t gen_[2] = {0, 0};
  bool armed_[2] = {false, false};
  bool flush_pending_ = false;
};

}  // namespace routerpulse::pg
