// neighbors tests: the input hosted by the Harness with a real RouterRegistry
// pointing at a tools/routeros-sim child process, a ManualClock for the
// input's own time (events, MNDP hold) and, when asked, the agent's real HTTP
// server (the topology route).
#pragma once

#include <memory>
#include <string>

#include "harness.hpp"
#include "http/http_server.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "sim_support.hpp"

namespace routerpulse::test {

class NeighborsFixture {
 public:
  /// `sim` may be null (MNDP-only tests). Routers are named r0, r1, …
  explicit NeighborsFixture(SimProcess* sim, int routers = 1, bool http = false);
  ~NeighborsFixture();

  Input& create(const std::string& yaml);
  /// One gather; fails the test when it does not finish within 20 s.
  void gather();
  /// Emitted metrics named `name` (cleared with h.clear_emitted()).
  MetricBatch named(const std::string& name, const std::string& event = {});
  /// The neighbor metric of `mac` (router r0 unless given); nullptr when absent.
  std::optional<Metric> neighbor(const std::string& mac, const std::string& router = "r0");
  /// A self-metric of the input (`routerpulse_neighbors_<name>`), summed over labels; 0 when absent.
  double stat(const std::string& name);

  Harness h;
  ManualClock clock;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<routeros::RouterRegistry> registry;
  std::shared_ptr<Component> component;
  Input* input = nullptr;
};

std::string tag_of(const Metric& m, const std::string& key);

}  // namespace routerpulse::test
