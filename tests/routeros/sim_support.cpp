#include "sim_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace routerpulse::test {

SimProcess::SimProcess(int routers, std::vector<std::string> extra) {
  const std::string bin = build_dir() + "/routeros-sim";
  for (int attempt = 0; attempt < 10; ++attempt) {
    base_ = free_port();
    control_ = free_port();
    if (control_ >= base_ && control_ < base_ + routers) continue;
    std::vector<std::string> argv{bin,
                                  "--routers",
                                  std::to_string(routers),
                                  "--base-port",
                                  std::to_string(base_),
                                  "--control-port",
                                  std::to_string(control_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string logf = dir_.file("sim-" + std::to_string(attempt) + ".log");
    auto p = std::make_unique<Process>(argv, logf);
    bool ready = wait_until(
        [&] {
          std::ifstream f(logf);
          std::stringstream ss;
          ss << f.rdbuf();
          return ss.str().find("listening on") != std::string::npos || !p->running();
        },
        std::chrono::seconds(10));
    if (ready && p->running()) {
      proc_ = std::move(p);
      return;
    }
  }
  FAIL("routeros-sim did not start; is " << bin << " built?");
}

std::string SimProcess::log() const {
  std::ifstream f(dir_.path() + "/sim-0.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string SimProcess::control(const std::string& line) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(control_));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string l = line + "\n";
    if (::write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size())) {
      char c;
      while (::read(fd, &c, 1) == 1 && c != '\n') answer.push_back(c);
    }
  }
  ::close(fd);
  return answer;
}

uint64_t SimProcess::stat(const std::string& key) {
  const std::string json = control("stats");
  const auto pos = json.find("\"" + key + "\":");
  if (pos == std::string::npos) return 0;
  return std::stoull(json.substr(pos + key.size() + 3));
}

ClientEnv::ClientEnv() : work_(boost::asio::make_work_guard(io)) {
  for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io.run(); });
}

ClientEnv::~ClientEnv() {
  for (auto& s : sessions_) {
    std::promise<void> p;
    s->stop([&] { p.set_value(); });
    p.get_future().wait_for(std::chrono::seconds(5));
  }
  sessions_.clear();
  work_.reset();
  io.stop();
  for (auto& t : threads_) t.join();
}

routeros::RouterConfig ClientEnv::config(const std::string& name, int port) {
  routeros::RouterConfig c;
  c.name = name;
  c.host = "127.0.0.1";
  c.port = static_cast<uint16_t>(port);
  c.username = "admin";
  c.timeout = std::chrono::seconds(3);
  c.connect_timeout = std::chrono::seconds(2);
  c.reconnect_initial = std::chrono::milliseconds(50);
  c.reconnect_max = std::chrono::milliseconds(400);
  c.keepalive = std::chrono::seconds(0);
  return c;
}

std::shared_ptr<routeros::Session> ClientEnv::session(routeros::RouterConfig cfg, bool start) {
  auto log = spdlog::get("routeros-test");
  if (!log) {
    log = std::make_shared<spdlog::logger>("routeros-test", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_level(spdlog::level::info);
  }
  auto s = routeros::Session::create(io, std::move(cfg), stats, &health, log, *clock);
  sessions_.push_back(s);
  if (start) s->start();
  return s;
}

routeros::Result ClientEnv::run(routeros::Session& s, routeros::Command cmd, std::chrono::nanoseconds timeout) {
  auto p = std::make_shared<std::promise<routeros::Result>>();
  auto f = p->get_future();
  routeros::CommandOptions o;
  o.timeout = timeout;
  s.execute(
      std::move(cmd), [p](routeros::Result r) { p->set_value(std::move(r)); }, o);
  REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return f.get();
}

bool ClientEnv::wait_up(routeros::Session& s, std::chrono::milliseconds timeout) {
  return wait_until([&] { return s.is_up(); }, timeout);
}

uint64_t ClientEnv::errors(const std::string& router, const std::string& kind) {
  return stats.counter("routeros", "errors_total", "RouterOS API errors by kind", {{"router", router}, {"kind", kind}})
      .value();
}

routeros::RouterConfig sim_router_config(const std::string& name, int port, std::chrono::nanoseconds keepalive) {
  routeros::RouterConfig c = ClientEnv::config(name, port);
  c.keepalive = keepalive;
  return c;
}

}  // namespace routerpulse::test
