// API over TLS (api-ssl): verification on by default, CA file, opt-out.
#include <catch2/catch.hpp>

#include "sim_support.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {
// A self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI.
void make_cert(const TempDir& dir) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                          dir.file("key.pem") + " -out " + dir.file("cert.pem") +
                          " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null";
  REQUIRE(run_command(cmd) == 0);
}
}  // namespace

TEST_CASE("TLS sessions verify the router certificate unless told not to", "[tls]") {
  TempDir dir;
  make_cert(dir);
  SimProcess sim(1, {"--tls-cert", dir.file("cert.pem"), "--tls-key", dir.file("key.pem")});
  ClientEnv env;
  auto cfg = ClientEnv::config("tls", sim.port());
  cfg.tls = true;

  SECTION("trusted through ca_file, host name checked") {
    cfg.ca_file = dir.file("cert.pem");
    auto s = env.session(cfg);
    REQUIRE(env.wait_up(*s));
    auto r = env.run(*s, Command("/system/identity/print"));
    REQUIRE(r.ok());
    CHECK(r.rows.at(0).get_or("name") == "sim-router-0");
  }
  SECTION("a self-signed certificate is refused by default") {
    auto s = env.session(cfg);
    REQUIRE(wait_until([&] { return env.errors("tls", "connect") >= 1; }, 10s));
    CHECK_FALSE(s->is_up());
    CHECK(env.health.to_json().find("TLS handshake failed") != std::string::npos);
  }
  SECTION("a name the certificate does not carry is refused") {
    cfg.ca_file = dir.file("cert.pem");
    cfg.tls_server_name = "pop9.example.net";
    auto s = env.session(cfg);
    REQUIRE(wait_until([&] { return env.errors("tls", "connect") >= 1; }, 10s));
    CHECK_FALSE(s->is_up());
  }
  SECTION("tls_verify: false connects anyway") {
    cfg.tls_verify = false;
    auto s = env.session(cfg);
    REQUIRE(env.wait_up(*s));
    CHECK(env.run(*s, Command("/system/identity/print")).ok());
  }
  SECTION("a missing CA file is a clear connect error") {
    cfg.ca_file = dir.file("missing.pem");
    auto s = env.session(cfg);
    REQUIRE(wait_until([&] { return env.errors("tls", "connect") >= 1; }, 10s));
    CHECK(env.health.to_json().find("missing.pem") != std::string::npos);
  }
}
