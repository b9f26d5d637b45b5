// routeros_traffic tests: a real tools/routeros-sim process plus the input
// hosted by the Harness with a real RouterRegistry pointing at it.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "routerpulse/routeros/registry.hpp"

namespace routerpulse::test {

/// `n` consecutive loopback ports that were free a moment ago.
int free_port_range(int n);

/// routeros-sim on free loopback ports: router i listens on base_port + i.
class Sim {
 public:
  /// `args`: extra simulator options (e.g. {"--sessions", "20"}).
  Sim(int routers, std::vector<std::string> args);
  ~Sim();
  int base_port() const { return base_; }
  /// One control-port command; returns the answer line.
  std::string control(const std::string& line);

 private:
  TempDir dir_;
  int base_ = 0, control_ = 0;
  std::unique_ptr<Process> proc_;
};

/// The input under test: Harness + RouterRegistry with routers r0..r{n-1}.
class TrafficFixture {
 public:
  explicit TrafficFixture(Sim& sim, int routers);
  ~TrafficFixture();

  /// Creates and starts the input with YAML options.
  Input& create(const std::string& yaml);
  /// Gathers once; false when done was not called within `timeout`.
  bool gather(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// Emitted metrics named `name` (optionally of one router).
  MetricBatch named(const std::string& name, const std::string& router = {});
  /// Distinct pppoe_user tags of emitted metrics named `name` of `router`.
  std::set<std::string> users(const std::string& name, const std::string& router = "r0");
  /// A self-metric field of internal_<subsystem> with tag router (and, when
  /// given, tag kind); NaN when absent.
  double stat(const std::string& subsystem, const std::string& field, const std::string& router,
              const std::string& kind = {});

  Harness h;
  std::unique_ptr<routeros::RouterRegistry> registry;
  std::unique_ptr<Component> component;
  Input* input = nullptr;
};

/// Numeric field as double (NaN when absent or not numeric).
double num(const Metric& m, const std::string& field);
/// The number in a simulator user name: "user0042" → 42.
uint64_t user_number(const std::string& user);

}  // namespace routerpulse::test
