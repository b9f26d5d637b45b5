#include "redis_client.hpp"

#include <boost/asio/bind_executor.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "routerpulse/config.hpp"

namespace routerpulse::redis {
namespace {

using Clock = std::chrono::steady_clock;

std::string reply_error(const redisReply* r) {
  if (!r) return "connection lost";
  return std::string(r->str, r->len);
}

}  // namespace

std::shared_ptr<RedisClient> RedisClient::create(boost::asio::io_context& io, Strand strand,
                                                 RedisClientOptions options, Listener listener) {
  return std::shared_ptr<RedisClient>(new RedisClient(io, std::move(strand), std::move(options), std::move(listener)));
}

RedisClient::RedisClient(boost::asio::io_context& io, Strand strand, RedisClientOptions options, Listener listener)
    : io_(io),
      strand_(std::move(strand)),
      opt_(std::move(options)),
      listener_(std::move(listener)),
      resolver_(strand_),
      connect_timer_(strand_),
      retry_timer_(strand_),
      watchdog_(strand_),
      grace_timer_(strand_),
      backoff_(opt_.reconnect_initial, opt_.reconnect_max) {}

RedisClient::~RedisClient() {
  closing_ = true;
  close_done_ = nullptr;
  if (auto* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);  // pending handlers get nullptr
  }
}

void RedisClient::start() {
  if (state_ != State::idle || closing_) return;
  connect();
}

void RedisClient::connect() {
  state_ = State::connecting;
  uint64_t attempt = ++attempt_;
  std::weak_ptr<RedisClient> weak = weak_from_this();
  connect_timer_.expires_after(opt_.connect_timeout);
  connect_timer_.async_wait([weak, attempt](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->attempt_ != attempt || self->state_ != State::connecting) return;
    self->fail("connect timed out after " + format_duration(self->opt_.connect_timeout), false);
  });
  const auto& ep = opt_.endpoint;
  if (ep.is_unix()) {
    open(redisAsyncConnectUnix(ep.unix_path.c_str()));
    return;
  }
  resolver_.async_resolve(ep.host, std::to_string(ep.port),
                          [weak, attempt](const boost::system::error_code& ec,
                                          const boost::asio::ip::tcp::resolver::results_type& results) {
                            auto self = weak.lock();
                            if (!self || self->attempt_ != attempt || self->state_ != State::connecting) return;
                            if (ec || results.empty()) {
                              self->fail("cannot resolve " + self->opt_.endpoint.host + ": " + ec.message(), false);
                              return;
                            }
                            auto it = results.begin();
                            std::advance(it, static_cast<std::ptrdiff_t>(self->rr_++ % results.size()));
                            std::string ip = it->endpoint().address().to_string();
                            self->open(redisAsyncConnect(ip.c_str(), self->opt_.endpoint.port));
                          });
}

void RedisClient::open(redisAsyncContext* ac) {
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
  redisAsyncSetConnectCallback(ac, &RedisClient::on_connect);
  redisAsyncSetDisconnectCallback(ac, &RedisClient::on_disconnect);
  try {
    HiredisAsio::attach(ac, io_, strand_);
  } catch (const std::exception& e) {
    redisAsyncFree(ac);
    fail(std::string("cannot watch the socket: ") + e.what(), false);
    return;
  }
  ac_ = ac;
  handshake();  // queued now, sent as soon as the socket is connected
}

bool RedisClient::submit_argv(const std::vector<std::string_view>& args, ReplyHandler h) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto heap = std::make_unique<ReplyHandler>(std::move(h));
  if (redisAsyncCommandArgv(ac_, &RedisClient::on_reply, heap.get(), static_cast<int>(argv.size()), argv.data(),
                            lens.data()) != REDIS_OK)
    return false;
  heap.release();  // owned by hiredis until on_reply
  sent();
  return true;
}

void RedisClient::sent() {
  if (pending_++ == 0) last_progress_ = Clock::now();
}

void RedisClient::handshake() {
  const auto& ep = opt_.endpoint;
  uint64_t attempt = attempt_;
  auto error = std::make_shared<std::string>();
  auto check = [this, attempt, error](const char* what) {
    return [this, attempt, error, what](const redisReply* r) {
      if (attempt_ != attempt || state_ != State::connecting) return;
      if (r && r->type != REDIS_REPLY_ERROR) return;
      if (error->empty()) *error = std::string(what) + " failed: " + reply_error(r);
    };
  };
  if (!ep.password.empty()) {
    if (ep.username.empty()) submit_argv({"AUTH", ep.password}, check("AUTH"));
    else submit_argv({"AUTH", ep.username, ep.password}, check("AUTH"));
  }
  if (ep.db != 0) submit_argv({"SELECT", std::to_string(ep.db)}, check("SELECT"));
  // PING confirms the server serves commands (not -LOADING after a restart);
  // its failure is transient, unlike a refused AUTH/SELECT.
  submit_argv({"PING"}, [this, attempt, error](const redisReply* r) {
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
    connect_timer_.cancel();
    backoff_.reset();
    schedule_watchdog();
    if (listener_.on_ready) listener_.on_ready();
  });
}

void RedisClient::on_connect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisClient*>(cac->data);
  if (!self || cac != self->ac_) return;
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback returns.
    std::string why = cac->errstr ? cac->errstr : "connect failed";
    self->ac_ = nullptr;
    self->fail(why, false);
    return;
  }
  if (!self->opt_.endpoint.is_unix() && self->opt_.tcp_keepalive)
    redisEnableKeepAlive(const_cast<redisContext*>(&cac->c));
}

void RedisClient::on_disconnect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisClient*>(cac->data);
  if (!self || cac != self->ac_) return;  // a context we freed ourselves
  self->ac_ = nullptr;                    // hiredis frees it after this callback
  if (self->closing_) {
    self->finish_close();
    return;
  }
  std::string why = status == REDIS_OK ? "connection closed" : (cac->errstr ? cac->errstr : "connection lost");
  if (why.empty() || why == "Server closed the connection") why = "server closed the connection";
  self->fail(why, false);
}

void RedisClient::replied(redisAsyncContext* ac) {
  if (auto* self = static_cast<RedisClient*>(ac->data)) {
    if (self->pending_ > 0) --self->pending_;
    self->last_progress_ = Clock::now();
  }
}

void RedisClient::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<ReplyHandler> h(static_cast<ReplyHandler*>(privdata));
  replied(ac);
  if (h && *h) (*h)(static_cast<const redisReply*>(reply));
}

void RedisClient::on_target_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  replied(ac);
  auto* target = static_cast<ReplyTarget*>(privdata);
  target->on_reply(target, static_cast<const redisReply*>(reply));
}

bool RedisClient::command(const std::vector<std::string_view>& args, ReplyHandler handler) {
  return state_ == State::ready && ac_ && submit_argv(args, std::move(handler));
}

bool RedisClient::command_resp(std::string_view resp, ReplyTarget* target) {
  if (state_ != State::ready || !ac_) return false;
  if (redisAsyncFormattedCommand(ac_, &RedisClient::on_target_reply, target, resp.data(), resp.size()) != REDIS_OK)
    return false;
  sent();
  return true;
}

void RedisClient::flush() {
  if (state_ == State::ready && ac_) redisAsyncHandleWrite(ac_);
}

void RedisClient::fail(std::string error, bool rejected) {
  bool was_ready = state_ == State::ready;
  ++attempt_;  // stale handshake replies and timers of this attempt are ignored
  state_ = State::waiting;
  connect_timer_.cancel();
  watchdog_.cancel();
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
  if (listener_.on_down) listener_.on_down(RedisDown{std::move(error), rejected, was_ready});
  if (closing_ || state_ != State::waiting) return;  // the listener closed or restarted us
  std::weak_ptr<RedisClient> weak = weak_from_this();
  retry_timer_.expires_after(backoff_.next());
  retry_timer_.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->closing_ || self->state_ != State::waiting) return;
    self->connect();
  });
}

void RedisClient::schedule_watchdog() {
  auto tick = std::max<std::chrono::nanoseconds>(opt_.command_timeout / 4, std::chrono::milliseconds(10));
  std::weak_ptr<RedisClient> weak = weak_from_this();
  watchdog_.expires_after(tick);
  watchdog_.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::ready) return;
    if (self->pending_ > 0 && Clock::now() - self->last_progress_ > self->opt_.command_timeout) {
      self->fail("no reply from Redis for " + format_duration(self->opt_.command_timeout) + " (" +
                     std::to_string(self->pending_) + " commands pending)",
                 false);
      return;
    }
    self->schedule_watchdog();
  });
}

void RedisClient::close(std::chrono::nanoseconds grace, std::function<void()> done) {
  if (closing_) {
    if (done) {
      if (state_ == State::closed) done();
      else close_done_ = [prev = std::move(close_done_), d = std::move(done)] {
        if (prev) prev();
        d();
      };
    }
    return;
  }
  closing_ = true;
  close_done_ = std::move(done);
  connect_timer_.cancel();
  retry_timer_.cancel();
  watchdog_.cancel();
  resolver_.cancel();
  if (!ac_) {
    finish_close();
    return;
  }
  if (state_ == State::ready && pending_ > 0 && grace > std::chrono::nanoseconds::zero()) {
    // Graceful: hiredis frees the context (→ on_disconnect) after the last reply.
    redisAsyncDisconnect(ac_);
    std::weak_ptr<RedisClient> weak = weak_from_this();
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([weak](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || !self->ac_) return;
      auto* ac = self->ac_;
      self->ac_ = nullptr;
      redisAsyncFree(ac);
      self->finish_close();
    });
    return;
  }
  auto* ac = ac_;
  ac_ = nullptr;
  redisAsyncFree(ac);
  finish_close();
}

void RedisClient::finish_close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  grace_timer_.cancel();
  if (auto d = std::move(close_done_)) {
    close_done_ = nullptr;
    d();
  }
}

}  // namespace routerpulse::redis
