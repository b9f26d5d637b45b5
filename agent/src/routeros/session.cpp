// Public face of the RouterOS session: Session, Stream, names, legacy login.
#include "routerpulse/routeros/session.hpp"

#include <openssl/evp.h>

#include <boost/asio/post.hpp>
#include <stdexcept>

#include "routeros/session_impl.hpp"

namespace routerpulse::routeros {

const char* to_string(ErrorKind k) noexcept {
  switch (k) {
    case ErrorKind::none: return "none";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::trap: return "trap";
    case ErrorKind::fatal: return "fatal";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::connect: return "connect";
    case ErrorKind::login: return "login";
    case ErrorKind::disconnected: return "disconnected";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::stopped: return "stopped";
    case ErrorKind::overloaded: return "overloaded";
  }
  return "unknown";
}

const char* to_string(SessionState s) noexcept {
  switch (s) {
    case SessionState::idle: return "idle";
    case SessionState::connecting: return "connecting";
    case SessionState::logging_in: return "logging_in";
    case SessionState::up: return "up";
    case SessionState::backoff: return "backoff";
    case SessionState::stopped: return "stopped";
  }
  return "unknown";
}

// ---------------------------------------------------------------------- Stream

Stream::Stream(std::weak_ptr<detail::SessionImpl> session, uint64_t id, Command command)
    : session_(std::move(session)), id_(id), command_(std::move(command)) {}

void Stream::cancel() {
  if (cancelled_.exchange(true)) return;
  if (auto s = session_.lock()) boost::asio::post(s->strand_, [s, id = id_] { s->cancel_stream(id); });
}

// --------------------------------------------------------------------- Session

Session::Session(std::shared_ptr<detail::SessionImpl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<Session> Session::create(boost::asio::io_context& io, RouterConfig cfg, SelfMetrics& stats,
                                         HealthRegistry* health, std::shared_ptr<spdlog::logger> log,
                                         Clock& clock) {
  if (cfg.name.empty()) throw std::invalid_argument("RouterOS session needs a router name");
  if (cfg.host.empty()) throw std::invalid_argument("router " + cfg.name + ": host is empty");
  auto impl = std::make_shared<detail::SessionImpl>(io, std::move(cfg), stats, health, std::move(log), clock);
  return std::shared_ptr<Session>(new Session(std::move(impl)));
}

Session::~Session() {
  auto impl = impl_;
  boost::asio::post(impl->strand_, [impl] { impl->stop(nullptr); });
}

const std::string& Session::name() const noexcept { return impl_->cfg.name; }
const RouterConfig& Session::config() const noexcept { return impl_->cfg; }

void Session::start() {
  boost::asio::post(impl_->strand_, [impl = impl_] { impl->start(); });
}

void Session::stop(std::function<void()> done) {
  boost::asio::post(impl_->strand_, [impl = impl_, done = std::move(done)]() mutable { impl->stop(std::move(done)); });
}

SessionState Session::state() const noexcept { return impl_->state_.load(); }

void Session::execute(Command cmd, std::function<void(Result)> done, CommandOptions opts) {
  if (!done) throw std::invalid_argument("Session::execute needs a completion handler");
  auto p = std::make_shared<detail::PendingCommand>(impl_->clock_, impl_->strand_);
  p->cmd = std::move(cmd);
  p->done = std::move(done);
  p->executor = opts.executor;
  auto timeout = opts.timeout.count() > 0 ? opts.timeout : impl_->cfg.timeout;
  boost::asio::post(impl_->strand_, [impl = impl_, p, timeout] {
    impl->execute(p, std::chrono::duration_cast<detail::Clock::duration>(timeout));
  });
}

StreamPtr Session::stream(Command cmd, std::function<void(const Reply&)> on_reply,
                          std::function<void(const StreamEvent&)> on_event, StreamOptions opts) {
  if (!on_reply) throw std::invalid_argument("Session::stream needs a reply handler");
  auto handle = std::make_shared<Stream>(impl_, impl_->next_id_.fetch_add(1), std::move(cmd));
  auto e = std::make_shared<detail::StreamEntry>(impl_->clock_, impl_->strand_);
  e->handle = handle;
  e->on_reply = std::move(on_reply);
  e->on_event = std::move(on_event);
  e->opts = std::move(opts);
  boost::asio::post(impl_->strand_, [impl = impl_, e] { impl->add_stream(e); });
  return handle;
}

uint64_t Session::observe_state(StateObserver observer, boost::asio::any_io_executor executor) {
  if (!observer) throw std::invalid_argument("Session::observe_state needs an observer");
  uint64_t id = impl_->next_id_.fetch_add(1);
  boost::asio::post(impl_->strand_, [impl = impl_, id, observer = std::move(observer), executor]() mutable {
    impl->add_observer(id, std::move(observer), executor);
  });
  return id;
}

void Session::unobserve_state(uint64_t id) {
  boost::asio::post(impl_->strand_, [impl = impl_, id] { impl->remove_observer(id); });
}

Session::Counters Session::counters() const {
  const auto& c = impl_->counters_;
  return Counters{c.connects.load(),         c.connect_attempts.load(), c.commands_sent.load(),
                  c.replies_received.load(), c.bytes_received.load(),   c.streams_active.load()};
}

boost::asio::any_io_executor Session::executor() const { return impl_->strand_; }

// ----------------------------------------------------------- legacy MD5 login

std::string legacy_login_response(std::string_view password, std::string_view challenge_hex) {
  if (challenge_hex.empty() || challenge_hex.size() % 2)
    throw std::invalid_argument("challenge must be an even number of hex digits");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string msg;
  msg.reserve(1 + password.size() + challenge_hex.size() / 2);
  msg.push_back('\0');
  msg.append(password);
  for (size_t i = 0; i < challenge_hex.size(); i += 2) {
    int hi = nibble(challenge_hex[i]), lo = nibble(challenge_hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("challenge is not hexadecimal");
    msg.push_back(static_cast<char>(hi * 16 + lo));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(msg.data(), msg.size(), digest, &len, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("MD5 is not available in this OpenSSL build");
  static const char* hex = "0123456789abcdef";
  std::string out = "00";
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

}  // namespace routerpulse::routeros
