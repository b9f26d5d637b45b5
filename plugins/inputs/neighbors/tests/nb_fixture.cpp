#include "nb_fixture.hpp"

#include <future>
#include <sstream>

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

namespace routerpulse::test {

NeighborsFixture::NeighborsFixture(SimProcess* sim, int routers, bool http) {
  h.clock = &clock;
  if (http) {
    server = std::make_unique<HttpServer>(h.io, h.stats, h.health, nullptr);
    HttpServerSettings hs;
    hs.port = 0;
    server->configure(hs);
    server->start();
    h.http = server.get();
  }
  if (sim) {
    registry = std::make_unique<routeros::RouterRegistry>(h.io, h.stats, h.health, spdlog::default_logger());
    for (int i = 0; i < routers; ++i)
      registry->add(sim_router_config("r" + std::to_string(i), sim->port(i), std::chrono::seconds(0)));
    registry->start();
    h.routers = registry.get();
  }
}

NeighborsFixture::~NeighborsFixture() {
  if (input) h.stop(*input, h.last_context());
  component.reset();
  if (registry) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    registry->stop([done] { done->set_value(); });
    f.wait_for(std::chrono::seconds(5));
    registry.reset();
  }
  if (server) server->stop();
}

Input& NeighborsFixture::create(const std::string& yaml) {
  component = h.create(PluginKind::input, "neighbors", yaml);
  input = dynamic_cast<Input*>(component.get());
  REQUIRE(input);
  h.start(*input, h.last_context());
  return *input;
}

void NeighborsFixture::gather() { REQUIRE(h.gather(*input, h.last_context(), std::chrono::seconds(20))); }

MetricBatch NeighborsFixture::named(const std::string& name, const std::string& event) {
  MetricBatch out;
  for (auto& m : h.emitted())
    if (m.name() == name && (event.empty() || tag_of(m, "event") == event)) out.push_back(std::move(m));
  return out;
}

std::optional<Metric> NeighborsFixture::neighbor(const std::string& mac, const std::string& router) {
  std::optional<Metric> found;
  for (auto& m : named("neighbor"))
    if (tag_of(m, "mac") == mac && tag_of(m, "router") == router) found = m;  // the latest
  return found;
}

double NeighborsFixture::stat(const std::string& name) {
  std::string text;
  h.stats.write_prometheus(text);
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  const std::string prefix = "routerpulse_neighbors_" + name;
  while (std::getline(in, line)) {
    if (!line.starts_with(prefix)) continue;
    const char next = line[prefix.size()];
    if (next != ' ' && next != '{') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

std::string tag_of(const Metric& m, const std::string& key) {
  const std::string* v = m.tag(key);
  return v ? *v : "<none>";
}

}  // namespace routerpulse::test
