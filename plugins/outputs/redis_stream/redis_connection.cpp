// redis_stream — the component's Redis connection: resolve, connect,
// handshake, reconnect with backoff, command_timeout watchdog, pipelined
// commands with exactly-once reply handlers (see redis_stream.hpp).
#include <boost/asio/bind_executor.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_asio.hpp"
#include "redis_stream.hpp"

namespace routerpulse::redis {
namespace {

std::string reply_error(const redisReply* r) {
  if (!r) return "connection lost";
  return std::string(r->str, r->len);
}

}  // namespace

RedisStreamOutput::~RedisStreamOutput() {
  // Normally stop() has closed everything. Otherwise free the context here:
  // with `data` cleared, hiredis' static callbacks no longer reach this
  // object; pending reply handlers still run (guarded ones do nothing, write
  // ops answer their batch as failed).
  closing_ = true;
  state_ = State::closed;
  close_done_ = nullptr;
  if (auto* ac = ac_) {
    ac_ = nullptr;
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
}

void RedisStreamOutput::connect() {
  state_ = State::connecting;
  uint64_t attempt = ++attempt_;
  const auto& opt = cfg_.connection;
  connect_timer_->arm(opt.connect_timeout, [this, attempt] {
    if (attempt_ != attempt || state_ != State::connecting) return;
    fail("connect timed out after " + format_duration(cfg_.connection.connect_timeout), false);
  });
  const auto& ep = opt.endpoint;
  if (ep.is_unix()) {
    open(redisAsyncConnectUnix(ep.unix_path.c_str()));
    return;
  }
  // The resolver may complete after the component is gone: guarded.
  resolver_.async_resolve(ep.host, std::to_string(ep.port),
                          guard([this, attempt](const boost::system::error_code& ec,
                                                const boost::asio::ip::tcp::resolver::results_type& results) {
                            if (attempt_ != attempt || state_ != State::connecting) return;
                            if (ec || results.empty()) {
                              fail("cannot resolve " + cfg_.connection.endpoint.host + ": " + ec.message(), false);
                              return;
                            }
                            auto it = results.begin();
                            std::advance(it, static_cast<std::ptrdiff_t>(rr_++ % results.size()));
                            std::string ip = it->endpoint().address().to_string();
                            open(redisAsyncConnect(ip.c_str(), cfg_.connection.endpoint.port));
                          }));
}

void RedisStreamOutput::open(redisAsyncContext* ac) {
  if (!ac) {
    fail("cannot allocate a hiredis context", false);
    return;
  }
  if (ac->err) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    fail(why, false);
    return;
  }
  ac->data = this;
  redisAsyncSetConnectCallback(ac, &RedisStreamOutput::on_connect);
  redisAsyncSetDisconnectCallback(ac, &RedisStreamOutput::on_disconnect);
  try {
    HiredisAsio::attach(ac, ctx_.io, ctx_.strand);
  } catch (const std::exception& e) {
    ac->data = nullptr;
    redisAsyncFree(ac);
    fail(std::string("cannot watch the socket: ") + e.what(), false);
    return;
  }
  ac_ = ac;
  handshake();  // queued now, sent as soon as the socket is connected
}

bool RedisStreamOutput::submit_argv(const std::vector<std::string_view>& args, ReplyHandler h) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto heap = std::make_unique<ReplyHandler>(std::move(h));
  if (redisAsyncCommandArgv(ac_, &RedisStreamOutput::on_reply, heap.get(), static_cast<int>(argv.size()), argv.data(),
                            lens.data()) != REDIS_OK)
    return false;
  heap.release();  // owned by hiredis until on_reply
  sent();
  return true;
}

void RedisStreamOutput::sent() {
  if (pending_++ == 0) last_progress_ = ctx_.clock.steady_now();
}

void RedisStreamOutput::handshake() {
  const auto& ep = cfg_.connection.endpoint;
  uint64_t attempt = attempt_;
  auto error = std::make_shared<std::string>();
  auto check = [this, attempt, error](const char* what) -> ReplyHandler {
    return guard([this, attempt, error, what](const redisReply* r) {
      if (attempt_ != attempt || state_ != State::connecting) return;
      if (r && r->type != REDIS_REPLY_ERROR) return;
      if (error->empty()) *error = std::string(what) + " failed: " + reply_error(r);
    });
  };
  if (!ep.password.empty()) {
    if (ep.username.empty())
      submit_argv({"AUTH", ep.password}, check("AUTH"));
    else
      submit_argv({"AUTH", ep.username, ep.password}, check("AUTH"));
  }
  if (ep.db != 0) submit_argv({"SELECT", std::to_string(ep.db)}, check("SELECT"));
  // PING confirms the server serves commands (not -LOADING after a restart);
  // its failure is transient, unlike a refused AUTH/SELECT.
  submit_argv({"PING"}, guard([this, attempt, error](const redisReply* r) {
                if (attempt_ != attempt || state_ != State::connecting) return;
                if (!error->empty()) {
                  fail(*error, true);
                  return;
                }
                if (!r) return;  // the connect/disconnect callback reports the cause
                if (r->type == REDIS_REPLY_ERROR) {
                  fail("PING failed: " + reply_error(r), false);
                  return;
                }
                state_ = State::ready;
                connect_timer_->cancel();
                backoff_.reset();
                schedule_watchdog();
                on_ready();
              }));
}

void RedisStreamOutput::on_connect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisStreamOutput*>(cac->data);
  if (!self || cac != self->ac_) return;
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback returns.
    std::string why = cac->errstr[0] ? cac->errstr : "connect failed";
    self->ac_ = nullptr;
    self->fail(why, false);
    return;
  }
  if (!self->cfg_.connection.endpoint.is_unix() && self->cfg_.connection.tcp_keepalive)
    redisEnableKeepAlive(const_cast<redisContext*>(&cac->c));
}

void RedisStreamOutput::on_disconnect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisStreamOutput*>(cac->data);
  if (!self || cac != self->ac_) return;  // a context we freed ourselves
  self->ac_ = nullptr;                    // hiredis frees it after this callback
  if (self->closing_) {
    self->finish_close();
    return;
  }
  std::string why = status == REDIS_OK ? "connection closed" : (cac->errstr[0] ? cac->errstr : "connection lost");
  if (why == "Server closed the connection") why = "server closed the connection";
  self->fail(why, false);
}

void RedisStreamOutput::replied(redisAsyncContext* ac) {
  if (auto* self = static_cast<RedisStreamOutput*>(ac->data)) {
    if (self->pending_ > 0) --self->pending_;
    self->last_progress_ = self->ctx_.clock.steady_now();
  }
}

void RedisStreamOutput::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<ReplyHandler> h(static_cast<ReplyHandler*>(privdata));
  replied(ac);
  if (h && *h) (*h)(static_cast<const redisReply*>(reply));
}

void RedisStreamOutput::on_target_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  replied(ac);
  auto* target = static_cast<ReplyTarget*>(privdata);
  target->on_reply(target, static_cast<const redisReply*>(reply));
}

bool RedisStreamOutput::command(const std::vector<std::string_view>& args, ReplyHandler handler) {
  return state_ == State::ready && ac_ && submit_argv(args, std::move(handler));
}

bool RedisStreamOutput::command_resp(std::string_view resp, ReplyTarget* target) {
  if (state_ != State::ready || !ac_) return false;
  if (redisAsyncFormattedCommand(ac_, &RedisStreamOutput::on_target_reply, target, resp.data(), resp.size()) !=
      REDIS_OK)
    return false;
  sent();
  return true;
}

void RedisStreamOutput::flush() {
  if (state_ == State::ready && ac_) redisAsyncHandleWrite(ac_);
}

void RedisStreamOutput::fail(std::string error, bool rejected) {
  bool was_ready = state_ == State::ready;
  ++attempt_;  // stale handshake replies and timers of this attempt are ignored
  state_ = State::waiting;
  connect_timer_->cancel();
  watchdog_->cancel();
  resolver_.cancel();
  last_error_ = error;
  if (auto* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);  // deferred by hiredis when inside one of its callbacks
  }
  if (closing_) {
    finish_close();
    return;
  }
  on_down(Down{std::move(error), rejected, was_ready});
  if (closing_ || state_ != State::waiting) return;
  retry_timer_->arm(backoff_.next(), [this] {
    if (closing_ || state_ != State::waiting) return;
    connect();
  });
}

void RedisStreamOutput::schedule_watchdog() {
  const Duration timeout = cfg_.connection.command_timeout;
  auto tick = std::max<Duration>(timeout / 4, std::chrono::milliseconds(10));
  watchdog_->arm(tick, [this, timeout] {
    if (state_ != State::ready) return;
    if (pending_ > 0 && ctx_.clock.steady_now() - last_progress_ > timeout) {
      fail("no reply from Redis for " + format_duration(timeout) + " (" + std::to_string(pending_) +
               " commands pending)",
           false);
      return;
    }
    schedule_watchdog();
  });
}

void RedisStreamOutput::close(Duration grace, std::function<void()> done) {
  if (closing_) {
    if (done) {
      if (state_ == State::closed)
        done();
      else
        close_done_ = [prev = std::move(close_done_), d = std::move(done)] {
          if (prev) prev();
          d();
        };
    }
    return;
  }
  closing_ = true;
  close_done_ = std::move(done);
  connect_timer_->cancel();
  retry_timer_->cancel();
  watchdog_->cancel();
  resolver_.cancel();
  if (!ac_) {
    finish_close();
    return;
  }
  if (state_ == State::ready && pending_ > 0 && grace > Duration::zero()) {
    // Graceful: hiredis frees the context (→ on_disconnect) after the last reply.
    redisAsyncDisconnect(ac_);
    grace_timer_->arm(grace, [this] {
      if (!ac_) return;
      auto* ac = ac_;
      ac_ = nullptr;
      redisAsyncFree(ac);
      finish_close();
    });
    return;
  }
  auto* ac = ac_;
  ac_ = nullptr;
  redisAsyncFree(ac);
  finish_close();
}

void RedisStreamOutput::finish_close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  grace_timer_->cancel();
  if (auto d = std::move(close_done_)) {
    close_done_ = nullptr;
    d();
  }
}

}  // namespace routerpulse::redis
