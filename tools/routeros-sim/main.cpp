// routeros-sim — a RouterOS API simulator serving many routers from one process.
// See README.md for options, scenario keys, deterministic values and faults.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "control.hpp"
#include "scenario.hpp"
#include "server.hpp"

using namespace routeros_sim;

namespace {
void print_stats(const SimStats& stats) {
  std::printf("routeros-sim: stats %s\n", stats.to_json().c_str());
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  Scenario s;
  // The scenario file is read first so that command-line options override it.
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--scenario") {
      try {
        load_scenario_file(argv[i + 1], s);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "routeros-sim: %s\n", e.what());
        return 2;
      }
    }
  }
  CLI::App app{"routeros-sim: RouterOS API simulator (many routers, PPPoE sessions, churn, faults)"};
  std::string scenario_file;
  std::vector<std::string> faults;
  app.add_option("--scenario", scenario_file, "YAML scenario file (options given here override it)");
  app.add_option("--bind", s.bind, "listen address")->capture_default_str();
  app.add_option("--routers", s.routers, "number of routers")->capture_default_str();
  app.add_option("--base-port", s.base_port, "port of router 0; router i listens on base-port + i")
      ->capture_default_str();
  app.add_option("--control-port", s.control_port, "control port (0 = none)")->capture_default_str();
  app.add_option("--sessions", s.sessions, "active PPPoE sessions per router")->capture_default_str();
  app.add_option("--spare-users", s.spare_users, "extra users per router for churn (-1 = 10% of sessions)")
      ->capture_default_str();
  app.add_option("--churn", s.churn_per_min, "sessions replaced per router per minute")->capture_default_str();
  app.add_option("--interval", s.interval_s, "monitor-traffic cadence in seconds")->capture_default_str();
  app.add_option("--username", s.username, "API user")->capture_default_str();
  app.add_option("--password", s.password, "API password");
  app.add_flag("--legacy-login", s.legacy_login, "use the pre-6.43 MD5 challenge login");
  app.add_flag("--empty-replies", s.empty_replies, "send !empty for prints without rows (RouterOS 7.18+)");
  app.add_option("--seed", s.seed, "churn random seed")->capture_default_str();
  app.add_option("--arp", s.arp_entries, "ARP entries per router")->capture_default_str();
  app.add_option("--arp-idle-every", s.arp_idle_every, "every Nth ARP host starts idle (0 = none)")
      ->capture_default_str();
  app.add_option("--arp-offline-every", s.arp_offline_every, "every Nth ARP host starts offline (0 = none)")
      ->capture_default_str();
  app.add_flag("--dhcp-leases", s.dhcp_leases, "give every ARP host a static DHCP lease");
  app.add_option("--ping-timeout-ms", s.ping_timeout_ms, "how long /ping waits for a reply")->capture_default_str();
  app.add_option("--neighbors", s.neighbors, "neighbors per router")->capture_default_str();
  app.add_flag("--neighbor-variety", s.neighbor_variety, "four more /ip/neighbor rows with real-world shapes");
  app.add_option("--rate-base", s.rate_base, "bits/s unit of the per-user rate formula")->capture_default_str();
  app.add_option("--pppoe-queues", s.pppoe_queues, "simple queue per PPPoE session: dynamic, named or none")
      ->capture_default_str();
  app.add_option("--static-queues", s.static_queues, "static-customer simple queues per router")->capture_default_str();
  bool no_timestamps = false;
  app.add_flag("--no-timestamps", no_timestamps, "omit =.sim-sent-ns= from monitor-traffic rows");
  app.add_option("--tls-cert", s.tls_cert, "PEM certificate: serve the API over TLS");
  app.add_option("--tls-key", s.tls_key, "PEM private key for --tls-cert");
  app.add_option("--stats-interval", s.stats_interval_s, "print a stats line every N seconds (0 = off)");
  app.add_option("--version-string", s.version, "RouterOS version to report")->capture_default_str();
  app.add_option("--fault", faults, "ROUTER:MODE[:key=value,...], e.g. 0:stall, all:drop:every=5, 1:slow:delay=500");
  CLI11_PARSE(app, argc, argv);
  if (no_timestamps) s.timestamps = false;
  try {
    for (const auto& f : faults) s.faults.push_back(parse_fault(f));
    validate(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "routeros-sim: %s\n", e.what());
    return 2;
  }

  boost::asio::io_context io(1);
  std::unique_ptr<boost::asio::ssl::context> tls;
  if (!s.tls_cert.empty()) {
    try {
      tls = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
      tls->use_certificate_chain_file(s.tls_cert);
      tls->use_private_key_file(s.tls_key, boost::asio::ssl::context::pem);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "routeros-sim: TLS setup failed: %s\n", e.what());
      return 2;
    }
  }
  // Installed before the routers are built (which takes a while with many
  // sessions), so that a SIGTERM/SIGINT during startup also stops cleanly
  // once io.run() starts instead of killing the process.
  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) io.stop();
  });
  SimStats stats;
  const int64_t start = wall_ns();
  std::vector<std::unique_ptr<RouterServer>> routers;
  std::unique_ptr<ControlServer> control;
  try {
    for (int i = 0; i < s.routers; ++i) {
      routers.push_back(std::make_unique<RouterServer>(io, i, s, stats, tls.get(), start));
      routers.back()->listen();
    }
    for (const auto& f : s.faults) {
      if (f.router < 0) {
        for (auto& r : routers) r->apply_fault(f);
      } else {
        routers[static_cast<size_t>(f.router)]->apply_fault(f);
      }
    }
    if (s.control_port > 0) control = std::make_unique<ControlServer>(io, s.bind, s.control_port, routers, stats);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "routeros-sim: %s\n", e.what());
    return 1;
  }

  boost::asio::signal_set usr1(io, SIGUSR1);
  std::function<void()> wait_usr1 = [&] {
    usr1.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      print_stats(stats);
      wait_usr1();
    });
  };
  wait_usr1();
  boost::asio::steady_timer stats_timer(io);
  std::function<void()> tick = [&] {
    stats_timer.expires_after(std::chrono::microseconds(static_cast<int64_t>(s.stats_interval_s * 1e6)));
    stats_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      print_stats(stats);
      tick();
    });
  };
  if (s.stats_interval_s > 0) tick();

  std::printf("routeros-sim: listening on %s:%d-%d (%d routers, %d sessions each%s%s)\n", s.bind.c_str(), s.base_port,
              s.base_port + s.routers - 1, s.routers, s.sessions, tls ? ", TLS" : "",
              s.control_port > 0 ? (", control port " + std::to_string(s.control_port)).c_str() : "");
  std::fflush(stdout);
  io.run();
  print_stats(stats);

  // Orderly teardown. io.stop() leaves every pending handler in the
  // io_context, and those handlers own the connections (shared_from_this).
  // The io_context is destroyed last (declared first), so without this the
  // connections would be destroyed after the RouterServers, the stats and the
  // TLS context they reference: a use-after-free (heap corruption, SIGSEGV or
  // SIGABRT at exit) whenever clients are connected. So close every listener,
  // timer and connection now and run the aborted handlers: every Connection is
  // then gone while everything it references is still alive.
  boost::system::error_code ignored;
  stop_signals.cancel(ignored);
  usr1.cancel(ignored);
  stats_timer.cancel();
  if (control) control->shutdown();
  for (auto& r : routers) r->shutdown();
  io.restart();
  // Only completions of cancelled or closed operations are left; they run at
  // once and start nothing new. poll() never blocks; the bound is a safety net.
  for (int i = 0; i < 1000 && io.poll() > 0; ++i) {
  }
  return 0;
}
