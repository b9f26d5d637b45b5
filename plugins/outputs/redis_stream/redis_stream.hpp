// redis_stream — output plugin: delivers metrics to Redis Streams with XADD.
//
// One component class, held by the engine in a shared_ptr:
//
// Delivery (redis_stream.cpp). write() sends one XADD per metric (plus
// `XGROUP CREATE … MKSTREAM` the first time a stream key is used on a
// connection when consumer_group is set) in one pipeline and reports success
// only when every reply arrived and none was an error. Anything else fails the
// whole batch, which the engine retries: delivery is at-least-once (entries
// acknowledged before the failure are written again on retry). While
// disconnected write() fails at once; the connection heals in the background.
//
// Connection (redis_connection.cpp). One hiredis redisAsyncContext driven by
// HiredisAsio on the component's strand. The host is resolved asynchronously;
// the handshake is `AUTH [user] pass` when a password is set, `SELECT db` when
// db != 0, then `PING` (https://redis.io/commands/auth/, /select/). A failed
// or dropped connection is re-opened with exponential backoff and jitter
// (reconnect_initial … reconnect_max). Pending commands that get no reply for
// command_timeout (a hung server, a dead peer without RST) drop the connection.
// Every accepted command's reply handler runs exactly once: with the reply, or
// with nullptr when the connection went first.
//
// Lifetime: callbacks handed to Asio (the resolver) and per-command hiredis
// reply handlers are wrapped with Component::guard(), so a completion that
// arrives after the component is gone is a no-op. Timers come from ctx.clock
// and never fire after cancel/destruction. The hiredis context itself never
// outlives the component: stop() closes it, the destructor frees it.
//
// Self-metrics (routerpulse_redis_stream_*, labelled output=<id>) and health
// (`outputs.<id>.connection`) are documented in README.md.
// Threading: every method runs on the component's strand (ctx.strand).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "redis_stream_config.hpp"
#include "routerpulse/backoff.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "stream_key.hpp"
#include "xadd_encoder.hpp"

struct redisAsyncContext;
struct redisReply;

namespace routerpulse::redis {

class RedisStreamOutput final : public Output {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "url",
       .type = OptionType::string,
       .default_value = "redis://127.0.0.1:6379/0",
       .doc = "redis://[[user][:password]@]host[:port][/db] or unix://[[user][:password]@]/path[?db=N]"},
      {.name = "username",
       .type = OptionType::string,
       .doc = "ACL user for AUTH (Redis >= 6); overrides the URL's; needs a password"},
      {.name = "password", .type = OptionType::string, .doc = "AUTH password; overrides the URL's"},
      {.name = "db",
       .type = OptionType::integer,
       .doc = "logical database (SELECT); overrides the URL's",
       .min = 0,
       .max = 1 << 20},
      {.name = "stream",
       .type = OptionType::string,
       .default_value = "routerpulse:{name}",
       .doc = "stream key template: {name} = metric name, {router} = the value of tag router"},
      {.name = "missing_tag_value",
       .type = OptionType::string,
       .default_value = "unknown",
       .doc = "used in the key for a tag the template names but the metric lacks"},
      {.name = "format",
       .type = OptionType::choice,
       .default_value = "json",
       .doc = "entry layout: json (one field data) or fields (flat pairs)",
       .choices = "json|fields"},
      {.name = "tag_prefix",
       .type = OptionType::string,
       .default_value = "\"\"",
       .doc = "format fields only: prefix for tag keys"},
      {.name = "field_prefix",
       .type = OptionType::string,
       .default_value = "\"\"",
       .doc = "format fields only: prefix for field keys"},
      {.name = "maxlen",
       .type = OptionType::integer,
       .default_value = "100000",
       .doc = "XADD MAXLEN: entries kept per stream; 0 = no MAXLEN; not with minid_age",
       .min = 0},
      {.name = "minid_age",
       .type = OptionType::duration,
       .doc = "XADD MINID = now - age instead of MAXLEN (Redis >= 6.2); at least 1ms",
       .min = 0.001,
       .example = "1h"},
      {.name = "approximate_trim",
       .type = OptionType::boolean,
       .default_value = "true",
       .doc = "trim with ~ (whole macro nodes, cheap) instead of = (exact)"},
      {.name = "consumer_group",
       .type = OptionType::string,
       .doc = "consumer group created (XGROUP CREATE ... MKSTREAM) on every stream written",
       .example = "billing"},
      {.name = "consumer_group_start_id",
       .type = OptionType::string,
       .default_value = "$",
       .doc = "ID a newly created group starts from: $ (new entries) or 0 (whole stream)"},
      {.name = "connect_timeout",
       .type = OptionType::duration,
       .default_value = "5s",
       .doc = "resolve + connect + handshake (AUTH, SELECT, PING) must finish within this",
       .min = kPositive},
      {.name = "command_timeout",
       .type = OptionType::duration,
       .default_value = "10s",
       .doc = "pending replies without progress for this long drop the connection",
       .min = kPositive},
      {.name = "reconnect_initial",
       .type = OptionType::duration,
       .default_value = "500ms",
       .doc = "first delay before reconnecting (doubles per failed attempt, with jitter)",
       .min = kPositive},
      {.name = "reconnect_max",
       .type = OptionType::duration,
       .default_value = "30s",
       .doc = "longest delay before reconnecting",
       .min = kPositive},
  };

  /// Pure: URL and key template syntax, cross-field rules. No connection.
  static void validate(const Options& o);

  RedisStreamOutput(const Options& o, PluginContext& ctx);
  ~RedisStreamOutput() override;

  /// Starts connecting; health `degraded` ("connecting") until ready.
  void start() override;
  /// Closes the connection (pending replies get 2 s), removes the health
  /// entry, then calls `done`.
  void stop(std::function<void()> done) override;
  void write(const BatchView& batch, std::function<void(WriteResult)> done) override;

 private:
  // ---- delivery (redis_stream.cpp)
  struct WriteOp;
  /// Why the connection is not (or no longer) usable.
  struct Down {
    std::string error;       ///< errno text, server error reply, timeout
    bool rejected = false;   ///< the server refused the handshake (AUTH/SELECT): likely a config error
    bool was_ready = false;  ///< an established connection was lost (vs. a failed attempt)
  };
  void on_ready();
  void on_down(const Down& down);
  void create_group(const std::string& key, WriteOp* op);  // op may be null (start-up)
  void queue_batch(const BatchView& batch, WriteOp* op);
  WriteResult result(const WriteOp& op);  // counts the outcome

  // ---- connection (redis_connection.cpp)
  /// `reply` is owned by hiredis and valid only during the call; nullptr = connection lost.
  using ReplyHandler = std::function<void(const redisReply* reply)>;
  /// An allocation-free reply receiver for the XADD hot path: many commands
  /// share one target, which stays alive until each got its on_reply call.
  struct ReplyTarget {
    void (*on_reply)(ReplyTarget* self, const redisReply* reply) = nullptr;
  };
  enum class State { idle, connecting, ready, waiting, closed };

  bool ready() const noexcept { return state_ == State::ready; }
  void connect();
  void open(redisAsyncContext* ac);
  void handshake();
  void fail(std::string error, bool rejected);
  void schedule_watchdog();
  /// Stops reconnecting and closes: pending replies get up to `grace`; `done`
  /// runs once, on the strand, when the context is gone. Idempotent.
  void close(Duration grace, std::function<void()> done);
  void finish_close();
  /// Queues one command (binary-safe arguments, copied at once); false when not possible.
  bool command(const std::vector<std::string_view>& args, ReplyHandler handler);
  bool submit_argv(const std::vector<std::string_view>& args, ReplyHandler h);  // no state check
  /// Queues one command already encoded as RESP; false when not ready.
  bool command_resp(std::string_view resp, ReplyTarget* target);
  /// Writes queued commands to the socket now (non-blocking), so Redis starts
  /// on a long pipeline while the rest is encoded. May report a lost connection.
  void flush();
  void sent();  // one more pending reply

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_target_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void replied(redisAsyncContext* ac);

  // ---- state
  PluginContext& ctx_;
  RedisStreamConfig cfg_;
  HealthScope conn_health_;
  RateLimitedLog rate_log_;
  StreamKeyTemplate key_template_;
  XaddEncoder encoder_;
  std::string constant_key_;                 // the key when the template has no placeholders
  std::string key_;                          // scratch for the rendered key
  std::unordered_set<std::string> grouped_;  // keys with XGROUP CREATE sent on this connection
  bool ever_ready_ = false, stopped_ = false;
  uint64_t failed_attempts_ = 0;

  boost::asio::ip::tcp::resolver resolver_;
  std::unique_ptr<Timer> connect_timer_, retry_timer_, watchdog_, grace_timer_;
  Backoff backoff_;
  redisAsyncContext* ac_ = nullptr;
  State state_ = State::idle;
  uint64_t attempt_ = 0;  // identifies the current connection attempt
  size_t rr_ = 0;         // round-robin over resolved addresses
  size_t pending_ = 0;    // commands sent whose replies have not arrived
  SteadyTime last_progress_{};
  std::string last_error_;
  bool closing_ = false;
  std::function<void()> close_done_;

  Counter& written_;
  Counter& err_disconnected_;
  Counter& err_reply_;
  Counter& err_lost_;
  Counter& reconnects_;
  Counter& connect_errors_;
  Counter& missing_tag_;
  Gauge& connected_;
  Histogram& latency_;
};

}  // namespace routerpulse::redis
