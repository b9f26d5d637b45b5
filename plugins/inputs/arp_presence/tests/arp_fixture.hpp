// arp_presence tests: the input hosted by the Harness with a real
// RouterRegistry pointing at a real tools/routeros-sim process (routers
// r0..r{n-1}). Simulator host k of router i: address 10.(20+i).(k/250).(k%250+1),
// MAC 02:AA:00:<i>:00:<k>, ping RTT (1 + k%5) ms + 250 µs (model_arp.hpp).
#pragma once

#include <atomic>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "harness.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "sim_support.hpp"

namespace routerpulse::test {

inline std::string sim_address(int router, int k) {
  return fmt::format("10.{}.{}.{}", 20 + router, k / 250, k % 250 + 1);
}
inline std::string sim_mac(int router, int k) {
  return fmt::format("02:AA:00:{:02X}:{:02X}:{:02X}", router & 0xFF, (k >> 8) & 0xFF, k & 0xFF);
}

class ArpFixture {
 public:
  ArpFixture(SimProcess& sim, int routers) {
    registry = std::make_unique<routeros::RouterRegistry>(h.io, h.stats, h.health, spdlog::default_logger());
    for (int i = 0; i < routers; ++i) registry->add(sim_router_config("r" + std::to_string(i), sim.port(i)));
    registry->start();
    h.routers = registry.get();
  }
  ~ArpFixture() {
    if (input) h.stop(*input, h.last_context());
    component.reset();
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    registry->stop([done] { done->set_value(); });
    f.wait_for(std::chrono::seconds(5));
    // Handlers the stop cancelled run while the plugin is still loaded.
    for (int i = 0; i < 3; ++i) h.run_on(h.last_context(), [] {});
    registry.reset();
  }
  bool wait_up(int router, bool up = true) {
    auto s = registry->find("r" + std::to_string(router));
    return wait_until([&] { return s->is_up() == up; }, std::chrono::seconds(15));
  }
  Input& create(const std::string& yaml) {
    component = h.create(PluginKind::input, "arp_presence", yaml);
    input = dynamic_cast<Input*>(component.get());
    h.start(*input, h.last_context());
    return *input;
  }
  /// Starts a gather on the input's strand; the flag turns true at `done`.
  std::shared_ptr<std::atomic<bool>> start_gather() {
    auto done = std::make_shared<std::atomic<bool>>(false);
    boost::asio::post(h.last_context().strand, [in = input, done] { in->gather([done] { *done = true; }); });
    return done;
  }
  /// One round; its static_user metrics by address and its events.
  struct Round {
    bool ok = false;
    std::map<std::string, Metric> users;
    std::vector<Metric> events;
  };
  Round round() {
    h.clear_emitted();
    Round r;
    r.ok = h.gather(*input, h.last_context(), std::chrono::seconds(30));
    for (auto& m : h.emitted()) {
      if (m.name() == "static_user") r.users.emplace(*m.tag("address"), m);
      if (m.name() == "static_user_event") r.events.push_back(m);
    }
    return r;
  }
  /// A self-metric field of this input (NaN when absent).
  double stat(const std::string& field) {
    for (const auto& m : h.stats.snapshot(0)) {
      if (m.name().find("arp_presence") == std::string::npos) continue;
      if (const FieldValue* v = m.field(field)) {
        double d = 0;
        if (field_as_double(*v, d)) return d;
      }
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

  Harness h;
  std::unique_ptr<routeros::RouterRegistry> registry;
  std::shared_ptr<Component> component;
  Input* input = nullptr;
};

inline bool flag(const Metric& m, const std::string& f) { return std::get<bool>(*m.field(f)); }
inline std::string text(const Metric& m, const std::string& f) {
  const FieldValue* v = m.field(f);
  return v ? std::get<std::string>(*v) : std::string("<absent>");
}

}  // namespace routerpulse::test
