// routerpulse — one persistent, self-healing RouterOS API session per router.
//
// Protocol source: MikroTik "API" manual (https://help.mikrotik.com/docs/display/ROS/API):
// login (`/login =name= =password=` since RouterOS 6.43; before that the MD5
// challenge: `/login` → `!done =ret=<hex>`, then `/login =name= =response=00<hex>`),
// tags (`.tag=` on a command is echoed on every reply sentence of it, which lets
// many commands run concurrently on one connection), `/cancel =tag=<t>` (the
// cancelled command ends with `!trap =category=2 =message=interrupted` and
// `!done`), `!fatal` (the router closes the connection). Ports: 8728 (API),
// 8729 (API over TLS).
//
// What a Session does:
//  - connects (TCP or TLS), logs in, and keeps the connection. Liveness is the
//    session's own decision, never a command's: a keepalive probe
//    (`/system/identity/print`) goes out after `keepalive` of silence, and
//    also at once when a command times out or a stream with idle_timeout
//    falls silent without any byte arriving; the connection is dead only when
//    NO byte at all arrived for `dead_after` while a probe was outstanding
//    (or on a TCP/TLS error, EOF, `!fatal` or a protocol error). A slow
//    command is cancelled (`/cancel`) and fails with ErrorKind::timeout alone:
//    the connection, its other commands and its streams stay up — a busy
//    router is routinely silent for a while;
//  - on any loss (EOF, I/O error, `!fatal`, protocol error, dead_after)
//    every pending one-shot command fails with ErrorKind::disconnected (or the
//    kind of the cause), the session reconnects after an exponential backoff
//    with jitter (`reconnect_initial` doubling up to `reconnect_max`, each delay
//    drawn uniformly from [d/2, d]), and every live stream is re-issued;
//  - multiplexes commands by `.tag` (tags are assigned by the session);
//  - reports its state to HealthRegistry::set_router(name, …) and to the
//    self-metrics (subsystem `routeros`, label `router`):
//      session_up (gauge 0/1), reconnects_total (counter: connection attempts
//      after the first), api_latency_seconds (histogram, labels router and
//      command = the command path; one-shot commands and keepalive probes,
//      from sending to `!done`), errors_total (counter, label kind: timeout,
//      trap, fatal, protocol, connect, login).
//
// Commands issued while the session is not up (before the first login, during
// backoff) are QUEUED, up to `max_pending` one-shot commands, and sent in order
// once logged in. Their timeout runs from the execute() call, so a command on
// an unreachable router fails with ErrorKind::timeout after `timeout`. Past
// `max_pending` a command fails at once with ErrorKind::overloaded.
//
// Threading: a Session runs on its own strand of the io_context given to
// create(). Every public member function is thread-safe and never blocks.
// Callbacks run on the executor passed in CommandOptions / StreamOptions (post
// your plugin's strand there), or on the session's strand when none is given;
// a callback must not block either.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/codec.hpp"
#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse {
class SelfMetrics;
class HealthRegistry;
}  // namespace routerpulse

namespace routerpulse::routeros {

/// How the session logs in (option `login`).
enum class LoginMethod : uint8_t {
  automatic,  ///< `auto`: plain login; if the router answers `=ret=` (RouterOS < 6.43) do the MD5 challenge
  plain,      ///< `plain`: `/login =name= =password=` only
  legacy,     ///< `legacy`: MD5 challenge only (`/login`, then `=response=`)
};

/// Everything needed to reach and log in to one router (`routers.<name>` in
/// agent.yaml; see parse_router_config in registry.hpp for the option names).
struct RouterConfig {
  std::string name;             ///< router name from agent.yaml, used in labels and logs
  std::string host;             ///< IP address or DNS name
  uint16_t port = 0;            ///< 0 → 8728, or 8729 when tls
  bool tls = false;             ///< API over TLS (api-ssl)
  bool tls_verify = true;       ///< verify the router's certificate and host name
  std::string ca_file;          ///< PEM CA bundle; empty → system default paths
  std::string tls_server_name;  ///< name to verify / send as SNI; empty → host
  std::string username;
  std::string password;  ///< use ${env:…} or ${file:…} in agent.yaml
  LoginMethod login = LoginMethod::automatic;
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);           ///< default per-command timeout
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(10);   ///< TCP + TLS + login
  std::chrono::nanoseconds keepalive = std::chrono::seconds(10);         ///< silence before a probe; 0 = off
  /// No byte at all for this long while a keepalive probe is outstanding:
  /// the connection is dead (reconnect). A command timeout never is.
  std::chrono::nanoseconds dead_after = std::chrono::seconds(30);
  std::chrono::nanoseconds reconnect_initial = std::chrono::seconds(1);  ///< first backoff delay
  std::chrono::nanoseconds reconnect_max = std::chrono::seconds(60);     ///< backoff cap
  size_t max_pending = 10000;                                            ///< queued + in-flight one-shot commands
  DecoderLimits limits;                                                  ///< word / sentence caps for replies

  /// The effective port (8728 / 8729 when `port` is 0).
  uint16_t effective_port() const noexcept { return port ? port : (tls ? 8729 : 8728); }
};

/// Why a command or stream failed.
enum class ErrorKind : uint8_t {
  none,          ///< success
  timeout,       ///< no `!done` within the command's timeout (or keepalive probe timeout)
  trap,          ///< the router answered `!trap`
  fatal,         ///< the router sent `!fatal` and closed the connection
  protocol,      ///< undecodable bytes (ProtocolError) or an unexpected reply; connection closed
  connect,       ///< resolve / TCP connect / TLS handshake failed or connection lost
  login,         ///< the router refused the login
  disconnected,  ///< the connection was lost while the command was pending
  cancelled,     ///< the caller cancelled
  stopped,       ///< the session was stopped
  overloaded,    ///< more than `max_pending` commands pending
};

/// "none", "timeout", "trap", "fatal", "protocol", "connect", "login",
/// "disconnected", "cancelled", "stopped", "overloaded".
const char* to_string(ErrorKind k) noexcept;

/// An error with a user-facing message naming the router, e.g.
/// `router pop1-core: /interface/print timed out after 10s`.
struct Error {
  ErrorKind kind = ErrorKind::none;
  std::string message;
  int category = -1;  ///< `!trap` category (0–7) when kind == trap, else -1
  explicit operator bool() const noexcept { return kind != ErrorKind::none; }
};

/// The outcome of a one-shot command.
struct Result {
  Error error;              ///< kind none on success
  std::vector<Reply> rows;  ///< every `!re`, in order (also filled before a trap)
  Reply done;               ///< the final `!done` (e.g. carries `=ret=`); default when none arrived
  bool empty = false;       ///< the router sent `!empty` (RouterOS 7.18+)
  bool ok() const noexcept { return !error; }
};

/// Options of one command.
struct CommandOptions {
  /// 0 → the router's `timeout`. Counted from execute(), queueing included.
  std::chrono::nanoseconds timeout{0};
  /// Where the callback runs; empty → the session's strand.
  boost::asio::any_io_executor executor{};
};

/// Options of one stream.
struct StreamOptions {
  /// Where the callbacks run (in order); empty → the session's strand.
  boost::asio::any_io_executor executor{};
  /// If > 0: a stream that delivers no reply for this long makes the session
  /// probe the connection at once (see `dead_after`); a dead connection is
  /// replaced and the stream re-issued. Use a few times the command's own
  /// interval; 0 = off.
  std::chrono::nanoseconds idle_timeout{0};
  /// Zero-copy fast path for high-rate streams (monitor-traffic). When set,
  /// every `!re` row goes to this callback instead of `on_reply`:
  /// synchronously on the session's own strand, right after decoding, as
  /// views into the read buffer (valid only during the call). Nothing is
  /// parsed, copied or posted, and while the callback runs the session reads
  /// no further (a slow consumer slows the TCP stream, never grows a queue).
  /// It runs concurrently with other strands — the executor's included — so
  /// it must touch only state it synchronises itself, be quick, and never
  /// block. Events still go to `on_event` on `executor`. Not called after
  /// cancel() returns from the session's strand; a call already running on
  /// another thread may finish.
  std::function<void(const RowView&)> on_row{};
  /// With on_row: called on the session's strand after the rows of one
  /// socket read were handed over, when this stream got at least one (a
  /// natural batch boundary: flush what the rows built).
  std::function<void()> on_read_end{};
};

/// What happened to a stream besides rows.
enum class StreamEventType : uint8_t {
  interrupted,  ///< connection lost; the stream will be re-issued after reconnect (error says why)
  resumed,      ///< re-issued on a new connection
  ended,        ///< finished for good: `!done` (error none) or `!trap` / session stopped (error set)
};

struct StreamEvent {
  StreamEventType type;
  Error error;
};

namespace detail {
class SessionImpl;
}

/// Handle of a streaming command (`/interface/monitor-traffic`, `…/listen`).
/// The session keeps the stream alive until it ends or is cancelled; dropping
/// the handle does NOT cancel it.
class Stream {
 public:
  Stream(std::weak_ptr<detail::SessionImpl> session, uint64_t id, Command command);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// Stops the stream: sends `/cancel =tag=<t>` if it is running and stops
  /// re-issuing it. Thread-safe and idempotent. No callback of this stream
  /// starts after cancel() returns when called from the stream's executor;
  /// from elsewhere, a callback already running may finish.
  void cancel();
  /// Neither cancelled nor ended.
  bool active() const noexcept { return !cancelled_.load() && !ended_.load(); }
  uint64_t id() const noexcept { return id_; }
  const Command& command() const noexcept { return command_; }

 private:
  friend class detail::SessionImpl;
  std::weak_ptr<detail::SessionImpl> session_;
  uint64_t id_;
  Command command_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> ended_{false};
};
using StreamPtr = std::shared_ptr<Stream>;

/// Connection state of a session.
enum class SessionState : uint8_t {
  idle,        ///< created, start() not called yet
  connecting,  ///< resolving / TCP / TLS
  logging_in,  ///< connected, login in progress
  up,          ///< logged in; commands are sent
  backoff,     ///< waiting before the next attempt
  stopped,     ///< stop() called; final
};

/// "idle", "connecting", "logging_in", "up", "backoff", "stopped".
const char* to_string(SessionState s) noexcept;

/// Called on every state change with a detail (the last error when not up).
using StateObserver = std::function<void(SessionState state, const std::string& detail)>;

class Session {
 public:
  /// Creates a session (not connected yet: call start()). `health` may be
  /// nullptr. `log` nullptr → spdlog's default logger. Every time reading and
  /// timer (deadlines, keepalive, dead_after, backoff, stream idle) comes
  /// from `clock`, which must outlive the session (tests: a ManualClock).
  /// Throws std::invalid_argument when cfg.name or cfg.host is empty.
  static std::shared_ptr<Session> create(boost::asio::io_context& io, RouterConfig cfg, SelfMetrics& stats,
                                         HealthRegistry* health, std::shared_ptr<spdlog::logger> log,
                                         Clock& clock = system_clock());
  /// Stops the session if stop() was not called (without waiting).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& name() const noexcept;
  const RouterConfig& config() const noexcept;

  /// Starts connecting (asynchronously). Idempotent; no effect after stop().
  void start();
  /// Fails every pending command with ErrorKind::stopped, ends every stream
  /// (event `ended`, ErrorKind::stopped), closes the connection and calls
  /// `done` exactly once when closed (on the session's strand). Later
  /// commands fail at once with ErrorKind::stopped.
  void stop(std::function<void()> done);

  /// Current state (snapshot).
  SessionState state() const noexcept;
  bool is_up() const noexcept { return state() == SessionState::up; }

  /// Runs a one-shot command: collects every `!re` until `!done` and calls
  /// `done` exactly once with the Result. `!trap` → ErrorKind::trap (the
  /// rows before it are kept); `!empty` → ok with no rows and `empty` set.
  /// On timeout the session sends `/cancel` for the tag and ignores late
  /// replies; if nothing at all arrived from the router for longer than the
  /// timeout, the connection is treated as dead and re-established.
  void execute(Command cmd, std::function<void(Result)> done, CommandOptions opts = {});

  /// Starts a streaming command. `on_reply` gets every `!re` (in order);
  /// `on_event` (optional) gets interruptions, resumptions and the end. The
  /// stream is sent as soon as the session is up and re-issued after every
  /// reconnect, until it ends (`!done`, `!trap`, stop()) or is cancelled.
  StreamPtr stream(Command cmd, std::function<void(const Reply&)> on_reply,
                   std::function<void(const StreamEvent&)> on_event = {}, StreamOptions opts = {});

  /// Registers an observer; it is called at once (on `executor`, or the
  /// session's strand when empty) with the current state, then on every
  /// change. Returns an id for unobserve_state().
  uint64_t observe_state(StateObserver observer, boost::asio::any_io_executor executor = {});
  /// Removes an observer; calls already posted may still run.
  void unobserve_state(uint64_t id);

  /// Lifetime counters, mostly for tests and diagnostics (thread-safe snapshot).
  struct Counters {
    uint64_t connects = 0;          ///< successful logins
    uint64_t connect_attempts = 0;  ///< TCP connection attempts
    uint64_t commands_sent = 0;     ///< sentences written (including login, cancel, keepalive)
    uint64_t replies_received = 0;  ///< sentences read
    uint64_t bytes_received = 0;
    uint64_t streams_active = 0;
  };
  Counters counters() const;

  /// The session's strand executor.
  boost::asio::any_io_executor executor() const;

 private:
  explicit Session(std::shared_ptr<detail::SessionImpl> impl);
  std::shared_ptr<detail::SessionImpl> impl_;
};

/// The legacy login response: "00" + lower-case hex of
/// MD5(0x00 + password + challenge bytes), where `challenge_hex` is the
/// `=ret=` value of the first `/login` reply (32 hex digits). Throws
/// std::invalid_argument when challenge_hex is not even-length hex.
/// Source: MikroTik API manual, "Initial login" (pre-v6.43).
std::string legacy_login_response(std::string_view password, std::string_view challenge_hex);

}  // namespace routerpulse::routeros
