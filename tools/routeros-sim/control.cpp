// routeros-sim — control port (line protocol, one answer line per command).
#include "control.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <istream>
#include <sstream>

namespace routeros_sim {

struct ControlConn : std::enable_shared_from_this<ControlConn> {
  ControlConn(tcp::socket s, ControlServer& srv) : sock(std::move(s)), server(srv) {}
  tcp::socket sock;
  ControlServer& server;
  boost::asio::streambuf buf;
  std::string answer;
  void read() {
    boost::asio::async_read_until(sock, buf, '\n', [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return;
      std::istream in(&self->buf);
      std::string line;
      std::getline(in, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      self->answer = self->server.execute(line) + "\n";
      boost::asio::async_write(self->sock, boost::asio::buffer(self->answer),
                               [self](boost::system::error_code ec2, size_t) {
                                 if (!ec2) self->read();
                               });
    });
  }
};

ControlServer::ControlServer(boost::asio::io_context& io, const std::string& bind, int port,
                             std::vector<std::unique_ptr<RouterServer>>& routers, SimStats& stats)
    : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address(bind), static_cast<unsigned short>(port))),
      routers_(routers),
      stats_(stats) {
  accept();
}

void ControlServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == boost::asio::error::operation_aborted || shut_down_) return;
    if (!ec) {
      std::erase_if(conns_, [](const std::weak_ptr<ControlConn>& w) { return w.expired(); });
      auto c = std::make_shared<ControlConn>(std::move(s), *this);
      conns_.push_back(c);
      c->read();
    }
    accept();
  });
}

void ControlServer::shutdown() {
  shut_down_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : conns_) {
    if (auto c = w.lock()) {
      c->sock.shutdown(tcp::socket::shutdown_both, ec);
      c->sock.close(ec);
    }
  }
  conns_.clear();
}

std::string ControlServer::execute(const std::string& line) {
  std::istringstream in(line);
  std::string cmd, target;
  in >> cmd;
  if (cmd == "ping") return "pong";
  if (cmd == "stats") return stats_.to_json();
  auto pick = [&](const std::string& t, std::vector<RouterServer*>& out) -> std::string {
    if (t == "all") {
      for (auto& r : routers_) out.push_back(r.get());
      return {};
    }
    try {
      size_t used = 0;
      int i = std::stoi(t, &used);
      if (used != t.size() || i < 0 || i >= static_cast<int>(routers_.size())) throw std::out_of_range(t);
      out.push_back(routers_[static_cast<size_t>(i)].get());
      return {};
    } catch (const std::exception&) {
      return "error: router must be 0.." + std::to_string(routers_.size() - 1) + " or all, got \"" + t + "\"";
    }
  };
  if (cmd == "fault") {
    std::string mode, kv;
    in >> target >> mode;
    std::vector<RouterServer*> rs;
    if (auto e = pick(target, rs); !e.empty()) return e;
    std::string spec = "0:" + mode;
    std::string opts;
    while (in >> kv) opts += (opts.empty() ? "" : ",") + kv;
    if (!opts.empty()) spec += ":" + opts;
    FaultSpec f;
    try {
      f = parse_fault(spec);
    } catch (const std::exception& e) {
      return std::string("error: ") + e.what();
    }
    for (auto* r : rs) {
      f.router = r->index;
      try {
        r->apply_fault(f);
      } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
      }
    }
    return "ok";
  }
  if (cmd == "churn") {
    int count = 1;
    in >> target;
    if (!(in >> count)) count = 1;
    std::vector<RouterServer*> rs;
    if (auto e = pick(target, rs); !e.empty()) return e;
    for (auto* r : rs)
      for (int i = 0; i < count; ++i) r->model.churn_once(wall_ns());
    return "ok";
  }
  if (cmd == "arp") {
    in >> target;
    std::vector<RouterServer*> rs;
    if (auto e = pick(target, rs); !e.empty()) return e;
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    for (auto* r : rs)
      if (auto a = r->arp.control(words, wall_ns()); a != "ok") return a;
    return "ok";
  }
  if (cmd == "sessions") {
    in >> target;
    std::vector<RouterServer*> rs;
    if (auto e = pick(target, rs); !e.empty()) return e;
    size_t n = 0;
    for (auto* r : rs) n += r->model.session_count();
    return std::to_string(n);
  }
  if (cmd == "neighbor") {  // model_neighbors.hpp
    in >> target;
    std::vector<RouterServer*> rs;
    if (auto e = pick(target, rs); !e.empty()) return e;
    // With `all`, `remove` succeeds when any router had the device; a count is the sum.
    std::string answer;
    const std::string rest = in.eof() ? std::string() : in.str().substr(static_cast<size_t>(in.tellg()));
    bool any_ok = false;
    long long total = 0;
    for (auto* r : rs) {
      std::istringstream args(rest);
      std::string a = r->model.neighbors().control(args, wall_ns());
      if (a == "ok") any_ok = true;
      if (!a.empty() && std::isdigit(static_cast<unsigned char>(a[0]))) total += std::stoll(a);
      if (answer.empty() || !a.starts_with("error")) answer = a;
    }
    if (!answer.empty() && std::isdigit(static_cast<unsigned char>(answer[0]))) return std::to_string(total);
    return any_ok ? "ok" : answer;
  }
  return "error: unknown command \"" + cmd + "\" (ping, stats, fault, churn, arp, sessions, neighbor)";
}

}  // namespace routeros_sim
