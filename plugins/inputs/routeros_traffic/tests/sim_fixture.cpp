// routeros_traffic tests: input fixture (see sim_fixture.hpp).
#include "sim_fixture.hpp"

#include <cmath>
#include <future>
#include <limits>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace routerpulse::test {

TrafficFixture::TrafficFixture(SimProcess& sim, int routers, ManualClock* clock, std::chrono::nanoseconds keepalive) {
  if (clock) h.clock = clock;
  registry = std::make_unique<routeros::RouterRegistry>(h.io, h.stats, h.health, spdlog::default_logger());
  for (int i = 0; i < routers; ++i) registry->add(sim_router_config("r" + std::to_string(i), sim.port(i), keepalive));
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
  // Polls start at once unless the test is about spreading: with a
  // ManualClock an offset would wait for advance(), with the system clock it
  // would only make the test slower.
  const std::string y = yaml.find("poll_spread") == std::string::npos ? yaml + "\npoll_spread: 0" : yaml;
  component = h.create(PluginKind::input, "routeros_traffic", y);
  input = dynamic_cast<Input*>(component.get());
  if (!input) throw std::runtime_error("routeros_traffic is not an input");
  h.start(*input, h.last_context());
  return *input;
}

bool TrafficFixture::gather(std::chrono::milliseconds timeout) { return h.gather(*input, h.last_context(), timeout); }

std::shared_ptr<std::atomic<bool>> TrafficFixture::start_gather() {
  auto done = std::make_shared<std::atomic<bool>>(false);
  boost::asio::post(h.last_context().strand, [in = input, done] { in->gather([done] { *done = true; }); });
  return done;
}

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
  // `kind` is the value of tag kind, or "label=value" for another label.
  const auto eq = kind.find('=');
  const std::string label = eq == std::string::npos ? "kind" : kind.substr(0, eq);
  const std::string value = eq == std::string::npos ? kind : kind.substr(eq + 1);
  for (const auto& m : h.stats.snapshot(0)) {
    if (m.name() != "internal_" + subsystem) continue;
    const std::string* r = m.tag("router");
    const std::string* k = m.tag(label);
    if (!r || *r != router || (k ? *k != value : !value.empty())) continue;
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
