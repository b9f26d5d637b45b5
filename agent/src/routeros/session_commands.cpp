// Internal: one-shot commands, streams and reply routing of a RouterOS session.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "routerpulse/config.hpp"
#include "routeros/session_impl.hpp"

namespace routerpulse::routeros::detail {

namespace {
std::string dur(Clock::duration d) { return format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(d)); }
}  // namespace

std::string SessionImpl::strip_router(const std::string& message) const {
  const std::string prefix = "router " + cfg.name + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

Histogram& SessionImpl::latency(const std::string& command) {
  auto it = latency_.find(command);
  if (it != latency_.end()) return *it->second;
  auto& h = stats_.histogram("routeros", "api_latency_seconds", "Time from sending a RouterOS API command to its !done",
                             {{"router", cfg.name}, {"command", command}});
  latency_.emplace(command, &h);
  return h;
}

// ------------------------------------------------------------ one-shot commands

void SessionImpl::execute(std::shared_ptr<PendingCommand> p, Clock::duration timeout) {
  if (stopped_) {
    complete(p, Result{make_error(ErrorKind::stopped, p->cmd.path() + ": session stopped"), {}, {}, false});
    return;
  }
  if (queue_.size() + inflight_.size() >= cfg.max_pending) {
    complete(p,
             Result{make_error(ErrorKind::overloaded, p->cmd.path() + ": more than " + std::to_string(cfg.max_pending) +
                                                          " commands pending (max_pending)"),
                    {},
                    {},
                    false});
    return;
  }
  p->timer->arm(timeout, [self = shared_from_this(), p, timeout] { self->on_command_timeout(p, timeout); });
  if (state_.load() == SessionState::up)
    send_command(p);
  else
    queue_.push_back(p);
}

void SessionImpl::send_internal(Command cmd, std::function<void(Result)> done, Clock::duration timeout) {
  auto p = std::make_shared<PendingCommand>(clock_, strand_);
  p->cmd = std::move(cmd);
  p->done = std::move(done);
  p->internal = true;
  p->timer->arm(timeout, [self = shared_from_this(), p, timeout] { self->on_command_timeout(p, timeout); });
  send_command(p);
}

void SessionImpl::send_command(const std::shared_ptr<PendingCommand>& p) {
  p->tag = new_tag();
  p->sent = true;
  p->sent_at = now();
  inflight_[p->tag] = p;
  send_sentence(p->cmd, p->tag);
}

void SessionImpl::complete(const std::shared_ptr<PendingCommand>& p, Result r) {
  if (!p->done) return;  // completed already
  p->timer->cancel();
  if (p->sent) {
    auto it = inflight_.find(p->tag);
    if (it != inflight_.end() && it->second == p) inflight_.erase(it);
  } else {
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (*it == p) {
        queue_.erase(it);
        break;
      }
  }
  auto done = std::move(p->done);
  p->done = nullptr;
  if (p->internal) {
    done(std::move(r));
    return;
  }
  auto ex = p->executor ? p->executor : boost::asio::any_io_executor(strand_);
  boost::asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

void SessionImpl::send_cancel(const std::string& tag) {
  ignore_tag(tag);
  const std::string own = new_tag();
  ignore_tag(own);
  Command c("/cancel");
  c.attr("tag", tag);
  send_sentence(c, own);
}

void SessionImpl::ignore_tag(const std::string& tag) { ignored_tags_.insert(tag); }

void SessionImpl::on_command_timeout(const std::shared_ptr<PendingCommand>& p, Clock::duration timeout) {
  if (!p->done) return;
  const bool sent_on_this_connection = p->sent && inflight_.count(p->tag) && inflight_[p->tag] == p;
  if (sent_on_this_connection && state_.load() == SessionState::up) send_cancel(p->tag);
  if (!p->internal) count_error(ErrorKind::timeout);
  const bool silent = sent_on_this_connection && state_.load() == SessionState::up &&
                      now() - std::max(last_rx_, p->sent_at) >= timeout;
  complete(p,
           Result{make_error(ErrorKind::timeout, p->cmd.path() + " timed out after " + dur(timeout)), {}, {}, false});
  // A command's deadline is not evidence that the connection is dead (a busy
  // router is slow): when nothing at all arrived since it was sent, ask the
  // session to probe; only the probe decides (dead_after).
  if (silent && !p->internal) probe_now();
}

void SessionImpl::handle_command_reply(const std::shared_ptr<PendingCommand>& p, Reply&& r) {
  switch (r.type) {
    case ReplyType::re: p->result.rows.push_back(std::move(r)); break;
    case ReplyType::empty: p->result.empty = true; break;
    case ReplyType::trap:
      if (!p->result.error) {
        p->result.error = make_error(ErrorKind::trap, p->cmd.path() + ": " + r.message(), r.category());
        if (!p->internal) count_error(ErrorKind::trap);
      }
      break;
    case ReplyType::done: {
      if (p->cmd.path() != "/login")
        latency(p->cmd.path()).observe(std::chrono::duration<double>(now() - p->sent_at).count());
      Result res = std::move(p->result);
      res.done = std::move(r);
      complete(p, std::move(res));
      break;
    }
    case ReplyType::fatal: break;  // handled by handle_reply
  }
}

void SessionImpl::handle_reply(Reply&& r) {
  if (r.type == ReplyType::fatal) {
    std::string why = r.message();
    fail_connection(make_error(ErrorKind::fatal, "!fatal from router: " + (why.empty() ? "(no reason)" : why)));
    return;
  }
  if (r.tag.empty()) {
    log_->debug("router {}: ignoring untagged {} reply", cfg.name, to_string(r.type));
    return;
  }
  if (auto it = ignored_tags_.find(r.tag); it != ignored_tags_.end()) {
    if (r.type == ReplyType::done) ignored_tags_.erase(it);
    return;
  }
  if (auto it = inflight_.find(r.tag); it != inflight_.end()) {
    auto p = it->second;
    handle_command_reply(p, std::move(r));
    return;
  }
  if (auto it = stream_tags_.find(r.tag); it != stream_tags_.end()) {
    auto e = it->second;
    handle_stream_reply(e, std::move(r));
    return;
  }
  log_->debug("router {}: ignoring {} reply with unknown tag {}", cfg.name, to_string(r.type), r.tag);
}

void SessionImpl::fail_inflight(const Error& cause) {
  const ErrorKind kind =
      (cause.kind == ErrorKind::fatal || cause.kind == ErrorKind::protocol || cause.kind == ErrorKind::stopped)
          ? cause.kind
          : ErrorKind::disconnected;
  const std::string why = strip_router(cause.message);
  auto inflight = std::move(inflight_);
  inflight_.clear();
  for (auto& [tag, p] : inflight) complete(p, Result{make_error(kind, p->cmd.path() + ": " + why), {}, {}, false});
  ignored_tags_.clear();
  stream_tags_.clear();
  for (auto& [id, e] : streams_) {
    if (e->tag.empty()) continue;
    e->tag.clear();
    e->idle_timer->cancel();
    if (kind == ErrorKind::stopped) continue;
    e->interrupted = true;
    emit_event(e,
               StreamEvent{StreamEventType::interrupted, make_error(kind, e->handle->command().path() + ": " + why)});
  }
}

// --------------------------------------------------------------------- streams

void SessionImpl::add_stream(std::shared_ptr<StreamEntry> e) {
  if (e->handle->cancelled_.load()) return;
  counters_.streams_active.fetch_add(1);  // end_stream() takes it back
  if (stopped_) {
    end_stream(e, make_error(ErrorKind::stopped, e->handle->command().path() + ": session stopped"));
    return;
  }
  streams_[e->handle->id()] = e;
  if (state_.load() == SessionState::up) send_stream(e);
}

void SessionImpl::send_stream(const std::shared_ptr<StreamEntry>& e) {
  e->tag = new_tag();
  stream_tags_[e->tag] = e;
  e->last_reply = now();
  send_sentence(e->handle->command(), e->tag);
  if (e->interrupted) {
    e->interrupted = false;
    emit_event(e, StreamEvent{StreamEventType::resumed, {}});
  }
  arm_idle_timer(e);
}

void SessionImpl::arm_idle_timer(const std::shared_ptr<StreamEntry>& e) {
  if (e->opts.idle_timeout.count() <= 0) return;
  e->idle_timer->arm_at(e->last_reply + std::chrono::duration_cast<Clock::duration>(e->opts.idle_timeout),
                        [self = shared_from_this(), e, tag = e->tag, gen = gen_] {
    if (gen != self->gen_ || e->tag != tag) return;
    if (self->now() - e->last_reply >= e->opts.idle_timeout) {
      // A silent stream is a reason to check the connection, not proof that
      // it is dead: probe (dead_after decides), and look again later.
      self->probe_now();
      e->last_reply = self->now();
    }
    self->arm_idle_timer(e);
  });
}

bool SessionImpl::try_row_fast_path(std::span<const std::string_view> words) {
  if (stream_tags_.empty() || words.empty() || words[0] != "!re") return false;
  std::string_view tag;
  for (size_t i = words.size(); i-- > 1;) {  // RouterOS sends `.tag=` last
    if (words[i].starts_with(".tag=")) {
      tag = words[i].substr(5);
      break;
    }
  }
  if (tag.empty()) return false;
  auto it = stream_tags_.find(tag);
  if (it == stream_tags_.end() || !it->second->opts.on_row) return false;
  StreamEntry& e = *it->second;
  e.last_reply = last_rx_;  // the time of this read
  if (e.handle->cancelled_.load()) return true;
  if (!e.touched) {
    e.touched = true;
    read_touched_.push_back(it->second);
  }
  try {
    e.opts.on_row(RowView{words});
  } catch (const std::exception& ex) {  // a consumer bug must not take the connection down
    log_->error("router {}: {} row callback threw: {}", cfg.name, e.handle->command().path(), ex.what());
  }
  return true;
}

void SessionImpl::handle_stream_reply(const std::shared_ptr<StreamEntry>& e, Reply&& r) {
  switch (r.type) {
    case ReplyType::re: {
      e->last_reply = now();
      auto ex = e->opts.executor ? e->opts.executor : boost::asio::any_io_executor(strand_);
      boost::asio::post(ex, [e, r = std::move(r)] {
        if (!e->handle->cancelled_.load()) e->on_reply(r);
      });
      break;
    }
    case ReplyType::trap:
      if (!e->trap) {
        e->trap = make_error(ErrorKind::trap, e->handle->command().path() + ": " + r.message(), r.category());
        count_error(ErrorKind::trap);
      }
      break;
    case ReplyType::done: {
      stream_tags_.erase(e->tag);
      e->tag.clear();
      streams_.erase(e->handle->id());
      end_stream(e, e->trap);
      break;
    }
    case ReplyType::empty:
    case ReplyType::fatal: e->last_reply = now(); break;
  }
}

void SessionImpl::end_stream(const std::shared_ptr<StreamEntry>& e, Error err) {
  e->idle_timer->cancel();
  if (e->handle->ended_.exchange(true)) return;
  counters_.streams_active.fetch_sub(1);
  emit_event(e, StreamEvent{StreamEventType::ended, std::move(err)});
}

void SessionImpl::emit_event(const std::shared_ptr<StreamEntry>& e, StreamEvent ev) {
  if (!e->on_event || e->handle->cancelled_.load()) return;
  auto ex = e->opts.executor ? e->opts.executor : boost::asio::any_io_executor(strand_);
  boost::asio::post(ex, [e, ev = std::move(ev)] {
    if (!e->handle->cancelled_.load()) e->on_event(ev);
  });
}

void SessionImpl::cancel_stream(uint64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto e = it->second;
  streams_.erase(it);
  e->idle_timer->cancel();
  if (!e->handle->ended_.exchange(true)) counters_.streams_active.fetch_sub(1);
  if (!e->tag.empty()) {
    stream_tags_.erase(e->tag);
    if (state_.load() == SessionState::up) send_cancel(e->tag);
    e->tag.clear();
  }
}

}  // namespace routerpulse::routeros::detail
