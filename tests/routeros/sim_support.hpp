// Test support for RouterOS tests: a real routeros-sim child process on free
// loopback ports with its control port, and a client-side io_context with
// registries for sessions.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "harness.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/routeros/session.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::test {

/// build/routeros-sim started with `--routers N` on consecutive free ports and
/// a control port. Stopped (SIGTERM) by the destructor.
class SimProcess {
 public:
  explicit SimProcess(int routers = 1, std::vector<std::string> extra_args = {});
  int port(int router = 0) const { return base_ + router; }
  int control_port() const { return control_; }
  /// One control-port command (see tools/routeros-sim/README.md); returns the answer line.
  std::string control(const std::string& line);
  /// A numeric field of the `stats` JSON.
  uint64_t stat(const std::string& key);
  std::string log() const;

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  int base_ = 0, control_ = 0;
};

/// A client io_context run by two threads (like the agent's pool), with the
/// registries a Session reports to.
class ClientEnv {
 public:
  ClientEnv();
  ~ClientEnv();
  boost::asio::io_context io;
  SelfMetrics stats;
  HealthRegistry health;
  /// The clock of sessions created from now on (a test may set a ManualClock
  /// that outlives them).
  Clock* clock = &system_clock();

  /// Router config for the simulator on `port`: fast backoff and short timeouts.
  static routeros::RouterConfig config(const std::string& name, int port);
  /// Creates (and starts, unless told otherwise) a session; stopped by the destructor.
  std::shared_ptr<routeros::Session> session(routeros::RouterConfig cfg, bool start = true);
  /// Runs a one-shot command and waits for its result (fails the test after 30 s).
  routeros::Result run(routeros::Session& s, routeros::Command cmd,
                       std::chrono::nanoseconds timeout = std::chrono::nanoseconds(0));
  /// Waits until the session is up.
  bool wait_up(routeros::Session& s, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Value of routerpulse_routeros_errors_total{router,kind}.
  uint64_t errors(const std::string& router, const std::string& kind);

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<routeros::Session>> sessions_;
};

/// Router config for a long-running client of the simulator, such as an input
/// under test that shares the session through a RouterRegistry:
/// ClientEnv::config (short timeouts, fast backoff) plus a keepalive, so a
/// stalled router is noticed and the session reconnects.
routeros::RouterConfig sim_router_config(const std::string& name, int port,
                                         std::chrono::nanoseconds keepalive = std::chrono::seconds(2));

}  // namespace routerpulse::test
