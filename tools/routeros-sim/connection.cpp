// routeros-sim — one API client connection: framing, login, cancel, dispatch.
#include <chrono>
#include <random>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "routerpulse/routeros/session.hpp"
#include "server.hpp"

namespace routeros_sim {

namespace rr = routerpulse::routeros;

namespace {
constexpr size_t kMaxQueuedBytes = 256u << 20;  // a client that stops reading is dropped

void add_proplist(Request& r, std::string_view v) {
  r.has_proplist = true;
  size_t start = 0;
  while (start <= v.size()) {
    size_t c = v.find(',', start);
    auto name = v.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start);
    if (!name.empty()) r.proplist.emplace_back(name);
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
}
}  // namespace

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::string* Request::get(const std::string& key) const {
  for (const auto& [k, v] : attrs)
    if (k == key) return &v;
  return nullptr;
}

Connection::Connection(RouterServer& router, tcp::socket socket, boost::asio::ssl::context* tls)
    : router_(router), rbuf_(64 * 1024) {
  if (tls)
    tls_ = std::make_unique<boost::asio::ssl::stream<tcp::socket>>(std::move(socket), *tls);
  else
    plain_ = std::make_unique<tcp::socket>(std::move(socket));
  router_.connections.insert(this);
  ++router_.stats.connections_open;
  ++router_.stats.connections_accepted;
}

Connection::~Connection() {
  if (detached_) return;  // the router (and the stats) are gone already
  router_.connections.erase(this);
  --router_.stats.connections_open;
}

void Connection::start() {
  if (!tls_) {
    read();
    return;
  }
  tls_->async_handshake(boost::asio::ssl::stream_base::server,
                        [self = shared_from_this()](boost::system::error_code ec) {
                          if (ec) {
                            self->close();
                            return;
                          }
                          self->read();
                        });
}

void Connection::read() {
  auto handler = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (ec || self->closed_) {
      self->close();
      return;
    }
    try {
      self->decoder_.feed(self->rbuf_.data(), n,
                          [&](std::span<const std::string_view> words) { self->on_sentence(words); });
    } catch (const rr::ProtocolError&) {
      self->close();
      return;
    }
    if (!self->closed_) self->read();
  };
  if (tls_)
    tls_->async_read_some(boost::asio::buffer(rbuf_), handler);
  else
    plain_->async_read_some(boost::asio::buffer(rbuf_), handler);
}

void Connection::on_sentence(std::span<const std::string_view> words) {
  if (closed_ || closing_ || words.empty()) return;  // RouterOS ignores empty sentences
  if (router_.stalled) return;                       // fault: accept, never answer
  Request r;
  r.path = words[0];
  for (size_t i = 1; i < words.size(); ++i) {
    std::string_view w = words[i];
    std::string_view k, v;
    if (rr::split_attribute(w, k, v)) {
      if (k == ".proplist") add_proplist(r, v);
      r.attrs.emplace_back(std::string(k), std::string(v));
    } else if (w.substr(0, 5) == ".tag=") {
      r.tag = w.substr(5);
    } else if (w.substr(0, 10) == ".proplist=") {
      add_proplist(r, w.substr(10));
    } else if (!w.empty() && w[0] == '?') {
      r.queries.emplace_back(w);
    }
  }
  ++router_.stats.commands;
  if (router_.delay_ms > 0) {
    auto t = std::make_shared<boost::asio::steady_timer>(router_.io, std::chrono::milliseconds(router_.delay_ms));
    delayed_.push_back(t);  // close() cancels it, so no handler outlives the connection's router
    t->async_wait([self = shared_from_this(), t, r = std::move(r)](boost::system::error_code ec) {
      std::erase(self->delayed_, t);
      if (!ec && !self->closed_ && !self->closing_ && !self->router_.stalled) self->handle(r);
    });
    return;
  }
  handle(r);
}

void Connection::handle(const Request& r) {
  if (r.path == "/login") return login(r);
  if (!logged_in_) return reply_trap(r, "not logged in");
  if (r.path == "/cancel") return cancel(r);
  if (r.path == "/quit") return fatal("session terminated on request");
  const int64_t now = wall_ns();
  auto& m = router_.model;
  if (r.path == "/system/identity/print") return print(r, {m.identity_row()});
  if (r.path == "/system/resource/print") return print(r, {m.resource_row(now)});
  if (r.path == "/interface/print") return print(r, m.interface_rows(now));
  if (r.path == "/interface/monitor-traffic") return monitor_traffic(r);
  if (r.path == "/ppp/active/print") return print(r, m.ppp_active_rows(now));
  if (r.path == "/ppp/active/listen") return ppp_listen(r);
  if (r.path == "/ip/arp/print") return print(r, router_.arp.arp_rows());
  if (r.path == "/ip/dhcp-server/lease/print") return print(r, router_.arp.lease_rows(now));
  if (r.path == "/ping" || r.path == "/tool/ping") return ping(r);
  if (r.path == "/ip/neighbor/print") return print(r, m.neighbor_rows(now));
  if (r.path == "/queue/simple/print") return print(r, m.queue_rows(now));
  reply_trap(r, "no such command prefix");
}

void Connection::login(const Request& r) {
  const Scenario& s = router_.scenario;
  const std::string* name = r.get("name");
  if (s.legacy_login) {
    // Pre-6.43: the first /login gets a challenge, the second carries the MD5 response.
    const std::string* response = r.get("response");
    if (!response) {
      challenge_.clear();
      std::random_device rd;
      for (int i = 0; i < 16; ++i) challenge_ += fmt::format("{:02x}", rd() & 0xFFu);
      return reply_done(r, {{"ret", challenge_}});
    }
    if (!challenge_.empty() && name && *name == s.username &&
        *response == rr::legacy_login_response(s.password, challenge_)) {
      logged_in_ = true;
      ++router_.stats.logins_ok;
      return reply_done(r);
    }
  } else {
    const std::string* password = r.get("password");
    if (name && password && *name == s.username && *password == s.password) {
      logged_in_ = true;
      ++router_.stats.logins_ok;
      return reply_done(r);
    }
  }
  ++router_.stats.logins_failed;
  reply_trap(r, "invalid user name or password (6)");
}

void Connection::cancel(const Request& r) {
  const std::string* tag = r.get("tag");
  std::vector<std::string> tags;
  if (tag) {
    if (active_.count(*tag)) tags.push_back(*tag);
  } else {
    for (const auto& [t, a] : active_) tags.push_back(t);
  }
  for (const auto& t : tags) {
    Request cancelled;
    cancelled.tag = t;
    stop_active(t);
    reply_trap(cancelled, "interrupted", 2);
  }
  reply_done(r);
}

void Connection::stop_active(const std::string& tag) {
  auto it = active_.find(tag);
  if (it == active_.end()) return;
  if (it->second->timer) it->second->timer->cancel();
  if (it->second->listen) router_.model.remove_listener(it->second->listener);
  active_.erase(it);
}

// -------------------------------------------------------------------- replies

void Connection::reply_row(const Request& r, const Row& row, const char* word) {
  std::string out;
  rr::append_word(out, word);
  std::string w;
  for (const auto& [k, v] : row) {
    w.assign("=").append(k).append("=").append(v);
    rr::append_word(out, w);
  }
  if (!r.tag.empty()) rr::append_word(out, ".tag=" + r.tag);
  out.push_back('\0');
  send(std::move(out));
}

void Connection::reply_done(const Request& r, const Row& attrs) { reply_row(r, attrs, "!done"); }

void Connection::reply_trap(const Request& r, const std::string& message, int category) {
  Row row;
  if (category >= 0) row.emplace_back("category", std::to_string(category));
  row.emplace_back("message", message);
  reply_row(r, row, "!trap");
  reply_done(r);
}

void Connection::send(std::string&& bytes) {
  if (closed_) return;
  ++router_.stats.sentences_sent;
  router_.stats.bytes_sent += bytes.size();
  if (out_.empty())
    out_ = std::move(bytes);
  else
    out_.append(bytes);
  if (out_.size() > kMaxQueuedBytes) {
    close();
    return;
  }
  if (!writing_now_) write_next();
}

void Connection::write_next() {
  if (out_.empty() || closed_) {
    if (closing_ && out_.empty()) close();
    return;
  }
  writing_now_ = true;
  writing_.swap(out_);
  out_.clear();
  auto handler = [self = shared_from_this()](boost::system::error_code ec, size_t) {
    self->writing_now_ = false;
    self->writing_.clear();
    if (ec) {
      self->close();
      return;
    }
    self->write_next();
  };
  if (tls_)
    boost::asio::async_write(*tls_, boost::asio::buffer(writing_), handler);
  else
    boost::asio::async_write(*plain_, boost::asio::buffer(writing_), handler);
}

void Connection::fatal(const std::string& reason) {
  if (closed_ || closing_) return;
  std::string out;
  rr::append_word(out, "!fatal");
  rr::append_word(out, reason);
  out.push_back('\0');
  send(std::move(out));
  closing_ = true;
  if (!writing_now_) write_next();
}

void Connection::garbage() {
  if (closed_ || closing_) return;
  // 0xFF is a reserved control byte: no client can take it for a length.
  send(std::string("\xff\xfe\xfdgarbage\x00\x01\x02", 13));
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& [tag, a] : active_) {
    if (a->timer) a->timer->cancel();
    if (a->listen) router_.model.remove_listener(a->listener);
  }
  active_.clear();
  for (auto& t : delayed_) t->cancel();
  delayed_.clear();
  boost::system::error_code ec;
  auto& sock = tls_ ? tls_->next_layer() : *plain_;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

}  // namespace routeros_sim
