// routeros_traffic tests: simulator process and input fixture (see sim_fixture.hpp).
#include "sim_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <future>
#include <limits>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace routerpulse::test {

namespace {
bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

int free_port_range(int n) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int base = free_port();
    if (base + n > 65535) continue;
    bool ok = true;
    for (int i = 1; i < n && ok; ++i) ok = port_free(base + i);
    if (ok) return base;
  }
  throw std::runtime_error("no range of free ports found");
}

Sim::Sim(int routers, std::vector<std::string> args) {
  base_ = free_port_range(routers);
  control_ = free_port();
  std::vector<std::string> argv{build_dir() + "/routeros-sim", "--routers", std::to_string(routers),
                                "--base-port", std::to_string(base_), "--control-port", std::to_string(control_)};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<Process>(argv, dir_.file("sim.log"));
  if (!wait_for_port(control_, std::chrono::seconds(10)) || !wait_for_port(base_ + routers - 1, std::chrono::seconds(5)))
    throw std::runtime_error("routeros-sim did not start; see " + dir_.file("sim.log"));
}

Sim::~Sim() { proc_->stop(); }

std::string Sim::control(const std::string& line) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(control_));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot reach the simulator's control port");
  }
  const std::string out = line + "\n";
  if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
    ::close(fd);
    throw std::runtime_error("control write failed");
  }
  std::string answer;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') answer.push_back(c);
  ::close(fd);
  return answer;
}

TrafficFixture::TrafficFixture(Sim& sim, int routers) {
  registry = std::make_unique<routeros::RouterRegistry>(h.io, h.stats, h.health, spdlog::default_logger());
  for (int i = 0; i < routers; ++i) {
    routeros::RouterConfig c;
    c.name = "r" + std::to_string(i);
    c.host = "127.0.0.1";
    c.port = static_cast<uint16_t>(sim.base_port() + i);
    c.username = "admin";
    c.timeout = std::chrono::seconds(3);
    c.connect_timeout = std::chrono::seconds(2);
    c.keepalive = std::chrono::seconds(2);
    c.reconnect_min = std::chrono::milliseconds(100);
    c.reconnect_max = std::chrono::milliseconds(500);
    registry->add(c);
  }
  registry->start();
  h.routers = registry.get();
}

TrafficFixture::~TrafficFixture() {
  if (input) h.stop(*input, h.last_context());
  component.reset();
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  registry->stop([done] { done->set_value(); });
  f.wait_for(std::chrono::seconds(5));
  registry.reset();
}

Input& TrafficFixture::create(const std::string& yaml) {
  component = h.create(PluginKind::input, "routeros_traffic", yaml);
  input = dynamic_cast<Input*>(component.get());
  if (!input) throw std::runtime_error("routeros_traffic is not an input");
  h.start(*input, h.last_context());
  return *input;
}

bool TrafficFixture::gather(std::chrono::milliseconds timeout) { return h.gather(*input, h.last_context(), timeout); }

MetricBatch TrafficFixture::named(const std::string& name, const std::string& router) {
  MetricBatch out;
  for (auto& m : h.emitted()) {
    if (m.name() != name) continue;
    if (!router.empty() && (!m.tag("router") || *m.tag("router") != router)) continue;
    out.push_back(std::move(m));
  }
  return out;
}

std::set<std::string> TrafficFixture::users(const std::string& name, const std::string& router) {
  std::set<std::string> out;
  for (const auto& m : named(name, router))
    if (const std::string* u = m.tag("pppoe_user")) out.insert(*u);
  return out;
}

double TrafficFixture::stat(const std::string& subsystem, const std::string& field, const std::string& router,
                            const std::string& kind) {
  for (const auto& m : h.stats.snapshot(now_ns())) {
    if (m.name() != "internal_" + subsystem) continue;
    const std::string* r = m.tag("router");
    const std::string* k = m.tag("kind");
    if (!r || *r != router || (k ? *k != kind : !kind.empty())) continue;
    if (const FieldValue* v = m.field(field)) {
      double d = 0;
      if (field_as_double(*v, d)) return d;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

double num(const Metric& m, const std::string& field) {
  double d = 0;
  const FieldValue* v = m.field(field);
  if (!v || !field_as_double(*v, d)) return std::numeric_limits<double>::quiet_NaN();
  return d;
}

uint64_t user_number(const std::string& user) { return std::stoull(user.substr(4)); }

}  // namespace routerpulse::test
