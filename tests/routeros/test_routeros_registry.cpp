// The `routers:` section: parsing, errors with file:line:col + option path,
// shared sessions, start/stop against the simulator.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <future>

#include "routerpulse/routeros/registry.hpp"
#include "sim_support.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {
struct Env {
  boost::asio::io_context io;
  SelfMetrics stats;
  HealthRegistry health;
  RouterRegistry reg{io, stats, health, nullptr};
  std::shared_ptr<const std::string> file = std::make_shared<const std::string>("agent.yaml");
  void configure(const std::string& text) { reg.configure(yaml(text)["routers"], file); }
};

std::string config_error(const std::string& text) {
  Env e;
  try {
    e.configure(text);
  } catch (const ConfigError& err) {
    return err.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("routers: options and defaults", "[registry][config]") {
  Env e;
  ::setenv("RP_TEST_POP1_PASSWORD", "from-env", 1);
  e.configure(R"(
routers:
  pop1-core: { host: 10.1.0.1, tls: true, username: monitor, password: "${env:RP_TEST_POP1_PASSWORD}",
               tls_verify: false, timeout: 5s, login: legacy }
  pop2-edge:
    host: edge.example.net
    port: 18728
    username: api
    keepalive: 0
    reconnect_initial: 250ms
    reconnect_max: 10s
    max_pending: 50
)");
  CHECK(e.reg.names() == std::vector<std::string>{"pop1-core", "pop2-edge"});
  auto p1 = e.reg.find("pop1-core");
  REQUIRE(p1);
  const auto& c1 = p1->config();
  CHECK(c1.effective_port() == 8729);
  CHECK(c1.tls);
  CHECK_FALSE(c1.tls_verify);
  CHECK(c1.password == "from-env");
  CHECK(c1.timeout == 5s);
  CHECK(c1.login == LoginMethod::legacy);
  const auto& c2 = e.reg.find("pop2-edge")->config();
  CHECK(c2.port == 18728);
  CHECK(c2.password.empty());
  CHECK(c2.keepalive == 0s);
  CHECK(c2.reconnect_initial == 250ms);
  CHECK(c2.max_pending == 50);
  CHECK(c2.connect_timeout == 10s);
  CHECK(e.reg.find("nope") == nullptr);
}

TEST_CASE("routers: invalid options name file, line, column and option path", "[registry][config]") {
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, prot: 1 }\n") ==
        "agent.yaml:2:33: routers.pop1.prot: unknown option (known: ca_file, connect_timeout, dead_after, host, keepalive, login, "
        "max_pending, max_sentence_bytes, max_word_bytes, password, port, reconnect_initial, reconnect_max, timeout, "
        "tls, tls_server_name, tls_verify, username)");
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, port: 70000 }\n")
            .find("agent.yaml:2:39: routers.pop1.port: expected an integer between 1 and 65535") == 0);
  CHECK(config_error("routers:\n  pop1: { username: u }\n").find("routers.pop1.host: required option is missing") !=
        std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a }\n").find("routers.pop1.username: required option") !=
        std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, login: md4 }\n")
            .find("routers.pop1.login: expected one of auto, plain, legacy") != std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, timeout: soon }\n")
            .find("routers.pop1.timeout: expected a duration") != std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, timeout: 0 }\n")
            .find("routers.pop1.timeout: must be greater than 0") != std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, reconnect_initial: 1m, reconnect_max: 10s }\n")
            .find("routers.pop1.reconnect_initial: must not be greater than reconnect_max") != std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, ca_file: x.pem }\n")
            .find("routers.pop1.ca_file: only valid with tls: true") != std::string::npos);
  CHECK(config_error("routers: [a, b]\n").find("agent.yaml:1:10: routers: expected a map") == 0);
  CHECK(config_error("routers:\n  pop1: 10.0.0.1\n").find("routers.pop1: expected a map") != std::string::npos);
  CHECK(config_error("routers:\n  pop1: { host: a, username: u, max_word_bytes: 10 }\n")
            .find("routers.pop1.max_word_bytes: expected an integer between 1024") != std::string::npos);
  SECTION("an error adds nothing") {
    Env e;
    CHECK_THROWS_AS(e.configure("routers:\n  ok: { host: a, username: u }\n  bad: { host: b }\n"), ConfigError);
    CHECK(e.reg.names().empty());
  }
}

TEST_CASE("registry start/stop against the simulator; one shared session per router", "[registry]") {
  SimProcess sim(2);
  ClientEnv env;  // only for its io threads
  RouterRegistry reg(env.io, env.stats, env.health, nullptr);
  auto file = std::make_shared<const std::string>("agent.yaml");
  reg.configure(yaml("routers:\n  a: { host: 127.0.0.1, port: " + std::to_string(sim.port(0)) +
                     ", username: admin, reconnect_initial: 50ms, reconnect_max: 200ms }\n"
                     "  b: { host: 127.0.0.1, port: " +
                     std::to_string(sim.port(1)) + ", username: admin }\n")["routers"],
                file);
  auto a = reg.find("a");
  REQUIRE(a);
  CHECK(reg.find("a") == a);  // every input naming `a` gets the same session
  // Issued before start(): queued, answered once connected.
  auto p = std::make_shared<std::promise<Result>>();
  a->execute(Command("/system/identity/print"), [p](Result r) { p->set_value(std::move(r)); });
  reg.start();
  auto f = p->get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto r = f.get();
  REQUIRE(r.ok());
  CHECK(r.rows.at(0).get_or("name") == "sim-router-0");
  REQUIRE(env.wait_up(*reg.find("b")));
  CHECK(sim.stat("logins_ok") == 2);
  CHECK(env.health.to_json().find("\"routers\":{\"a\":{\"status\":\"healthy\"},\"b\":{\"status\":\"healthy\"}}") !=
        std::string::npos);
  std::string prom;
  env.stats.write_prometheus(prom);
  CHECK(prom.find("routerpulse_routeros_session_up{router=\"a\"} 1") != std::string::npos);

  std::promise<void> stopped;
  int calls = 0;
  reg.stop([&] {
    ++calls;
    stopped.set_value();
  });
  REQUIRE(stopped.get_future().wait_for(5s) == std::future_status::ready);
  CHECK(calls == 1);
  CHECK(a->state() == SessionState::stopped);
  REQUIRE(wait_until([&] { return sim.stat("connections_open") == 0; }, 5s));
}

TEST_CASE("registry stop with no routers completes at once", "[registry]") {
  Env e;
  e.configure("agent: {}\n");
  bool done = false;
  e.reg.stop([&] { done = true; });
  CHECK(done);
}
