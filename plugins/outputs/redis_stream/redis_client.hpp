// redis_stream — one self-healing asynchronous Redis connection on a strand.
//
// RedisClient owns a hiredis redisAsyncContext driven by HiredisAsio. It
// resolves the host asynchronously (so a DNS lookup never blocks the loop),
// connects by TCP or unix socket, performs the handshake (`AUTH [user] pass`
// when a password is set, `SELECT db` when db != 0, then `PING`; commands per
// https://redis.io/commands/auth/ and /select/), and reports `ready`. When the
// connection fails or drops it reconnects by itself with exponential backoff
// and jitter (routerpulse::Backoff), until close().
//
// Commands are pipelined: command() queues into hiredis' output buffer and
// returns at once; replies arrive in order (RESP guarantees it) through the
// handler given with each command. Every accepted command's handler is
// called exactly once: with the reply, or with nullptr when the connection
// was lost first (then the command may or may not have been executed).
//
// A connection whose pending commands get no reply for `command_timeout`
// (e.g. a hung server or a dead peer without RST) is dropped and re-opened.
//
// Threading: create, use and destroy on `strand`; every listener and reply
// handler is called there. Nothing blocks. Errors are reported through the
// listener, never thrown (except std::bad_alloc).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hiredis_asio.hpp"
#include "redis_url.hpp"
#include "routerpulse/backoff.hpp"

struct redisAsyncContext;
struct redisReply;

namespace routerpulse::redis {

struct RedisClientOptions {
  RedisEndpoint endpoint;
  /// Resolve + connect + handshake must finish within this (nanoseconds).
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
  /// Pending commands without any reply for this long → drop and reconnect.
  std::chrono::nanoseconds command_timeout = std::chrono::seconds(10);
  /// Reconnect backoff: first delay and cap (doubling, ±20 % jitter).
  std::chrono::nanoseconds reconnect_initial = std::chrono::milliseconds(500);
  std::chrono::nanoseconds reconnect_max = std::chrono::seconds(30);
  /// TCP keepalive (hiredis redisEnableKeepAlive: probes after 15 s idle), so
  /// a peer that vanished without RST is noticed even with nothing pending.
  bool tcp_keepalive = true;
};

/// Why the connection is not (or no longer) usable.
struct RedisDown {
  std::string error;     ///< human-readable cause (errno text, server error reply, timeout)
  bool rejected = false; ///< the server refused the handshake (AUTH/SELECT): likely a config error
  bool was_ready = false;///< an established connection was lost (vs. a failed attempt)
};

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  using Strand = HiredisAsio::Strand;
  /// `reply` is owned by hiredis and valid only during the call; nullptr = connection lost.
  using ReplyHandler = std::function<void(const redisReply* reply)>;
  struct Listener {
    std::function<void()> on_ready;             ///< handshake done; command() now accepted
    std::function<void(const RedisDown&)> on_down;  ///< each failed attempt or lost connection
  };

  static std::shared_ptr<RedisClient> create(boost::asio::io_context& io, Strand strand, RedisClientOptions options,
                                             Listener listener);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Starts connecting (and reconnecting, until close()). Call once.
  void start();
  /// True between on_ready and the next on_down.
  bool ready() const noexcept { return state_ == State::ready; }
  /// Queues one command given as binary-safe arguments (copied at once).
  /// Returns false, without calling `handler`, when not ready.
  bool command(const std::vector<std::string_view>& args, ReplyHandler handler);
  /// An allocation-free reply receiver for hot paths: many commands may
  /// share one target, which must stay alive until each of them got its
  /// on_reply call (exactly once per accepted command, reply or nullptr).
  struct ReplyTarget {
    void (*on_reply)(ReplyTarget* self, const redisReply* reply) = nullptr;
  };
  /// Queues one command already encoded as a RESP array of bulk strings
  /// (the caller guarantees the encoding). Returns false when not ready.
  bool command_resp(std::string_view resp, ReplyTarget* target);
  /// Writes queued commands to the socket now (non-blocking) instead of at
  /// the next turn of the loop, so the server starts on a long pipeline while
  /// the caller is still queuing the rest. May report a lost connection
  /// synchronously (handlers get nullptr, on_down runs) — after which ready()
  /// is false.
  void flush();
  /// Commands sent whose replies have not arrived yet.
  size_t pending() const noexcept { return pending_; }
  /// The last connection error ("" while none happened).
  const std::string& last_error() const noexcept { return last_error_; }
  const RedisEndpoint& endpoint() const noexcept { return opt_.endpoint; }
  /// Stops reconnecting and closes the connection: pending replies get up to
  /// `grace` to arrive (then their handlers get nullptr). `done` runs once,
  /// on the strand, when the context is gone. Idempotent.
  void close(std::chrono::nanoseconds grace, std::function<void()> done);

 private:
  enum class State { idle, connecting, ready, waiting, closed };
  RedisClient(boost::asio::io_context& io, Strand strand, RedisClientOptions options, Listener listener);

  void connect();
  void open(redisAsyncContext* ac);
  void handshake();
  void fail(std::string error, bool rejected);
  void schedule_watchdog();
  void finish_close();
  bool submit_argv(const std::vector<std::string_view>& args, ReplyHandler h);  // no state check
  void sent();  // bookkeeping for one more pending reply

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_target_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void replied(redisAsyncContext* ac);  // bookkeeping for one reply

  boost::asio::io_context& io_;
  Strand strand_;
  RedisClientOptions opt_;
  Listener listener_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_, retry_timer_, watchdog_, grace_timer_;
  Backoff backoff_;

  redisAsyncContext* ac_ = nullptr;
  State state_ = State::idle;
  uint64_t attempt_ = 0;       // identifies the current connection attempt
  size_t rr_ = 0;              // round-robin over resolved addresses
  size_t pending_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
  std::string last_error_;
  bool closing_ = false;
  std::function<void()> close_done_;
};

}  // namespace routerpulse::redis
