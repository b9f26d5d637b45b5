// routeros_traffic tests: a real tools/routeros-sim process (SimProcess from
// tests/routeros/sim_support.hpp) plus the input hosted by the Harness with a
// real RouterRegistry pointing at it.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "sim_support.hpp"

namespace routerpulse::test {

/// The input under test: Harness + RouterRegistry with routers r0..r{n-1}.
class TrafficFixture {
 public:
  /// `clock`: the input's clock (a ManualClock for interval-driven tests: the
  /// flush, re-issue and gather-deadline timers then fire only on advance());
  /// the system clock when null. The API sessions always use real time, with
  /// `keepalive` (0 = off).
  TrafficFixture(SimProcess& sim, int routers, ManualClock* clock = nullptr,
                 std::chrono::nanoseconds keepalive = std::chrono::seconds(2));
  ~TrafficFixture();

  /// Creates and starts the input with YAML options (`poll_spread: 0` added
  /// unless the options set it).
  Input& create(const std::string& yaml);
  /// Gathers once; false when done was not called within `timeout`.
  bool gather(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// Starts a gather on the input's strand; the flag turns true at `done`.
  std::shared_ptr<std::atomic<bool>> start_gather();
  /// Emitted metrics named `name` (optionally of one router).
  MetricBatch named(const std::string& name, const std::string& router = {});
  /// Distinct pppoe_user tags of emitted metrics named `name` of `router`.
  std::set<std::string> users(const std::string& name, const std::string& router = "r0");
  /// A self-metric field of internal_<subsystem> with tag router (and, when
  /// given, tag kind = `kind`, or "label=value" for another label); NaN when absent.
  double stat(const std::string& subsystem, const std::string& field, const std::string& router,
              const std::string& kind = {});

  Harness h;
  std::unique_ptr<routeros::RouterRegistry> registry;
  std::shared_ptr<Component> component;
  Input* input = nullptr;
};

/// Numeric field as double (NaN when absent or not numeric).
double num(const Metric& m, const std::string& field);
/// The number in a simulator user name: "user0042" → 42.
uint64_t user_number(const std::string& user);

}  // namespace routerpulse::test
