// Internal: the state machine behind routerpulse::routeros::Session.
//
// Everything below runs on `strand_`; the public Session/Stream methods post
// onto it. Async handlers carry the connection generation (`gen_`) they were
// started for and do nothing when the connection has been replaced since.
//
// Split over three files: session_connection.cpp (connect, login, I/O,
// keepalive, failure and backoff), session_commands.cpp (one-shot commands,
// streams, reply routing) and session.cpp (the public wrappers).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "routerpulse/clock.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/routeros/session.hpp"
#include "routerpulse/stats.hpp"
#include "routeros/transport.hpp"

namespace routerpulse::routeros::detail {

/// Time points and durations of the session (steady). Every reading and every
/// timer comes from the routerpulse::Clock given to the session (clock_), so
/// tests drive keepalive, dead_after, deadlines and backoff with a ManualClock.
using Clock = std::chrono::steady_clock;

/// A one-shot command from queueing to its result.
struct PendingCommand {
  PendingCommand(routerpulse::Clock& c, const SessionStrand& s) : timer(c.make_timer(s)) {}
  Command cmd;
  std::function<void(Result)> done;
  boost::asio::any_io_executor executor;
  bool internal = false;  // login / keepalive / cancel: `done` runs inline on the strand
  bool sent = false;
  std::string tag;  // set when sent
  Clock::time_point sent_at{};
  Result result;
  std::unique_ptr<Timer> timer;
};

/// A streaming command and its callbacks.
struct StreamEntry {
  StreamEntry(routerpulse::Clock& c, const SessionStrand& s) : idle_timer(c.make_timer(s)) {}
  std::shared_ptr<Stream> handle;
  std::function<void(const Reply&)> on_reply;
  std::function<void(const StreamEvent&)> on_event;
  StreamOptions opts;
  std::string tag;           // tag of the running instance, empty when not sent
  bool interrupted = false;  // lost with a connection; `resumed` is due when re-sent
  Error trap;                // `!trap` seen; reported when `!done` ends the stream
  bool touched = false;      // in read_touched_ (on_row streams)
  Clock::time_point last_reply{};
  std::unique_ptr<Timer> idle_timer;
};

class SessionImpl : public std::enable_shared_from_this<SessionImpl> {
 public:
  SessionImpl(boost::asio::io_context& io, RouterConfig cfg, SelfMetrics& stats, HealthRegistry* health,
              std::shared_ptr<spdlog::logger> log, routerpulse::Clock& clock);

  // ---- entry points (called on the strand)
  void start();
  void stop(std::function<void()> done);
  void execute(std::shared_ptr<PendingCommand> p, Clock::duration timeout);
  void add_stream(std::shared_ptr<StreamEntry> e);
  void cancel_stream(uint64_t id);
  void add_observer(uint64_t id, StateObserver fn, boost::asio::any_io_executor ex);
  void remove_observer(uint64_t id);

  // ---- shared, thread-safe
  const RouterConfig cfg;
  routerpulse::Clock& clock_;
  SessionStrand strand_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<SessionState> state_{SessionState::idle};
  std::atomic<uint64_t> next_id_{1};
  struct AtomicCounters {
    std::atomic<uint64_t> connects{0}, connect_attempts{0}, commands_sent{0}, replies_received{0}, bytes_received{0},
        streams_active{0};
  } counters_;

  Error make_error(ErrorKind kind, const std::string& what, int category = -1) const;

 private:
  // ---- connection (session_connection.cpp)
  void connect();
  void on_connected(uint64_t gen);
  void login();
  void login_legacy_response(const std::string& challenge);
  void on_logged_in();
  void start_read(uint64_t gen);
  void on_read(uint64_t gen, size_t n);
  void start_write();
  Clock::time_point now() const { return clock_.steady_now(); }
  void send_sentence(const Command& cmd, const std::string& tag);
  void fail_connection(const Error& cause, bool count = true);
  void schedule_reconnect();
  void arm_keepalive();
  void on_keepalive(uint64_t gen);
  void set_state(SessionState s, const std::string& detail);
  void count_error(ErrorKind k);

  // ---- commands and streams (session_commands.cpp)
  void send_command(const std::shared_ptr<PendingCommand>& p);
  void send_internal(Command cmd, std::function<void(Result)> done, Clock::duration timeout);
  void complete(const std::shared_ptr<PendingCommand>& p, Result r);
  void on_command_timeout(const std::shared_ptr<PendingCommand>& p, Clock::duration timeout);
  void send_cancel(const std::string& tag);
  std::string strip_router(const std::string& message) const;
  void send_stream(const std::shared_ptr<StreamEntry>& e);
  void arm_idle_timer(const std::shared_ptr<StreamEntry>& e);
  void end_stream(const std::shared_ptr<StreamEntry>& e, Error err);
  void emit_event(const std::shared_ptr<StreamEntry>& e, StreamEvent ev);
  void handle_reply(Reply&& r);
  void handle_command_reply(const std::shared_ptr<PendingCommand>& p, Reply&& r);
  void handle_stream_reply(const std::shared_ptr<StreamEntry>& e, Reply&& r);
  void fail_inflight(const Error& cause);
  void ignore_tag(const std::string& tag);
  std::string new_tag() { return std::to_string(next_tag_++); }
  Histogram& latency(const std::string& command);

  SelfMetrics& stats_;
  HealthRegistry* health_;
  Gauge& up_gauge_;
  Counter& reconnects_;
  std::map<ErrorKind, Counter*> errors_;
  std::unordered_map<std::string, Histogram*> latency_;

  // connection state
  std::shared_ptr<Transport> transport_;  // handlers hold a copy: a replaced transport outlives its pending ops
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_;
  boost::asio::ip::tcp::resolver resolver_;
  uint64_t gen_ = 0;
  Decoder decoder_;
  std::unique_ptr<char[]> rbuf_;  // not zero-filled: an idle session only touches what it reads
  std::string out_, writing_;
  bool write_in_flight_ = false;
  std::unique_ptr<Timer> connect_timer_, backoff_timer_, keepalive_timer_;
  unsigned backoff_attempt_ = 0;
  bool ever_up_ = false;
  bool started_ = false;
  bool stopped_ = false;
  bool probe_in_flight_ = false;
  /// Sends a keepalive probe unless one is out (see session.hpp, dead_after).
  void probe_now();
  Clock::time_point last_rx_{};
  std::string last_error_;
  std::mt19937_64 rng_;

  // commands
  uint64_t next_tag_ = 1;
  std::deque<std::shared_ptr<PendingCommand>> queue_;  // waiting for the session to be up
  std::unordered_map<std::string, std::shared_ptr<PendingCommand>> inflight_;
  std::map<uint64_t, std::shared_ptr<StreamEntry>> streams_;
  struct TagHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<StreamEntry>, TagHash, std::equal_to<>> stream_tags_;
  /// Streams whose on_row got rows during the current read (on_read_end due).
  std::vector<std::shared_ptr<StreamEntry>> read_touched_;
  /// The zero-copy path for a `!re` of an on_row stream; false when `words`
  /// is not one (then the sentence is parsed as usual).
  bool try_row_fast_path(std::span<const std::string_view> words);
  std::unordered_set<std::string> ignored_tags_;  // timed out / cancelled: swallow until `!done`
  std::map<uint64_t, std::pair<StateObserver, boost::asio::any_io_executor>> observers_;
};

}  // namespace routerpulse::routeros::detail
