// processors/lua throughput: pppoe_traffic batches (as pg_enrich leaves them:
// package tag "fiber-100M", customer_id) pushed through the engine's Pipeline
// into an output that formats line protocol and discards it — once with no
// processor, once through a trivial rule (`return m`) and once through
// scripts/lua/bandwidth_near_package.lua. Single io thread, like
// bench/engine/bench_pipeline.
//   build/bench_lua [none|trivial|bandwidth|all] [total_metrics] [batch]
// Time advances 10 s per round over all users, and 5% of the users run at
// 97% of their package, so the bandwidth rule really walks pending → firing.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <spdlog/spdlog.h>

#include "engine/component_factory.hpp"
#include "engine/output_runner.hpp"
#include "engine/pipeline.hpp"
#include "engine/plugin_loader.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/health.hpp"

using namespace routerpulse;

namespace {

constexpr uint64_t kUsers = 2000;

class NullOutput final : public Output {
 public:
  std::atomic<uint64_t> traffic{0};  ///< pppoe_traffic metrics written
  std::atomic<uint64_t> alerts{0};   ///< alert events written
  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    std::string s;
    s.reserve(batch.size() * 200);
    uint64_t a = 0;
    for (const auto& m : batch) {
      append_line_protocol(s, m);
      if (m.name() == "alert") ++a;
    }
    alerts += a;
    traffic += batch.size() - a;
    done(WriteResult::success());
  }
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Metric traffic_metric(uint64_t n, int64_t ts) {
  const uint64_t user = n % kUsers;
  Metric m("pppoe_traffic", ts);
  m.reserve(6, 8);
  m.set_tag("router", "pop1-r" + std::to_string(user % 50));
  m.set_tag("pppoe_user", "user" + std::to_string(user));
  m.set_tag("interface", "<pppoe-user" + std::to_string(user) + ">");
  m.set_tag("caller_id", "AA:BB:CC:00:07:D0");
  m.set_tag("customer_id", std::to_string(1000 + user));
  m.set_tag("package", "fiber-100M");
  const double download = user % 20 == 0 ? 97e6 : 12.5e6;  // 5% of users near their package
  m.set_field("download_bits_per_second", download).set_field("upload_bits_per_second", 1234567.0);
  m.set_field("download_packets_per_second", 640.0).set_field("upload_packets_per_second", 120.0);
  m.set_field("download_drops_per_second", 0.0).set_field("upload_drops_per_second", 0.0);
  m.set_field("download_errors_per_second", 0.0).set_field("upload_errors_per_second", 0.0);
  return m;
}

struct Result {
  double wall = 0, cpu = 0, lua_seconds = 0;
  uint64_t alerts = 0;
};

Result run(const std::string& scenario, uint64_t total, size_t batch) {
  PluginLoader loader(std::string(ROUTERPULSE_BENCH_BUILD_DIR) + "/plugins");  // outlives the processor
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  SelfMetrics stats;
  HealthRegistry health;
  // Contexts and components are made exactly as the engine makes them.
  const engine::ContextServices services{io, stats, health, system_clock()};
  auto out = std::make_shared<NullOutput>();
  auto* sink = out.get();
  auto octx = engine::make_context({.kind = PluginKind::output,
                                    .id = "null",
                                    .plugin = "null",
                                    .pipeline = {},
                                    .config_dir = {},
                                    .interval = std::chrono::seconds(10),
                                    .log = spdlog::default_logger()},
                                   services);
  engine::OutputSettings s;
  s.batch_size = 1000;
  s.buffer_limit = 1000000;
  auto runner = std::make_shared<engine::OutputRunner>(out, octx, s);
  auto pipeline = std::make_shared<engine::Pipeline>("bench", stats);
  pipeline->outputs.push_back(runner);

  Histogram* lua_time = nullptr;
  if (scenario != "none") {
    std::string script = std::string(ROUTERPULSE_BENCH_SOURCE_DIR) + "/scripts/lua/bandwidth_near_package.lua";
    if (scenario == "trivial") {
      script = "/tmp/routerpulse-bench-trivial.lua";
      std::ofstream(script) << "function process(m) return m end\n";
    }
    const PluginDescriptor& lua = *loader.get(PluginKind::processor, "lua").descriptor;
    auto pctx = engine::make_context({.kind = PluginKind::processor,
                                      .id = "lua/bench",
                                      .plugin = "lua",
                                      .pipeline = "bench",
                                      .config_dir = ROUTERPULSE_BENCH_SOURCE_DIR,
                                      .interval = std::chrono::seconds(10),
                                      .log = spdlog::default_logger()},
                                     services);
    const Options opts =
        engine::component_options(lua, YAML::Load("{script: " + script + ", tick_interval: 0}"), "processors.lua/bench",
                                  std::make_shared<const std::string>("<bench>"));
    auto processor = std::dynamic_pointer_cast<Processor>(engine::create_component(lua, opts, pctx));
    pipeline->add_stage(std::move(processor), pctx);
    lua_time = &pctx->self_metrics.histogram("batch_duration_seconds", "Time spent running the script over one batch");
  }
  pipeline->start();
  runner->start();
  std::thread t([&] { io.run(); });

  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  int64_t ts = 1'700'000'000'000'000'000;
  while (sent < total) {
    MetricBatch b;
    b.reserve(batch);
    for (size_t i = 0; i < batch && sent < total; ++i, ++sent) {
      if (sent % kUsers == 0) ts += 10'000'000'000;  // next 10 s round
      b.push_back(traffic_metric(sent, ts));
    }
    pipeline->submit(std::move(b));
    while (sent - sink->traffic.load() > 50000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  while (sink->traffic.load() < total) std::this_thread::sleep_for(std::chrono::microseconds(100));
  Result r;
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu = cpu_seconds() - cpu0;
  r.alerts = sink->alerts.load();
  if (lua_time) r.lua_seconds = lua_time->sum();
  std::atomic<int> stopped{0};
  pipeline->stop([&] { ++stopped; });
  runner->stop([&] { ++stopped; });
  while (stopped.load() < 2) std::this_thread::sleep_for(std::chrono::microseconds(100));
  work.reset();
  io.stop();
  t.join();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "all";
  const uint64_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const size_t batch = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 500;
  spdlog::set_level(spdlog::level::warn);
  for (const char* scenario : {"none", "trivial", "bandwidth"}) {
    if (which != "all" && which != scenario) continue;
    const Result r = run(scenario, total, batch);
    std::printf(
        "scenario=%-9s metrics=%llu batch=%zu wall=%.3fs rate=%.0f metrics/s cpu_per_million=%.3fs "
        "lua_us_per_metric=%.3f alerts=%llu\n",
        scenario, static_cast<unsigned long long>(total), batch, r.wall, static_cast<double>(total) / r.wall,
        r.cpu / (static_cast<double>(total) / 1e6), r.lua_seconds * 1e6 / static_cast<double>(total),
        static_cast<unsigned long long>(r.alerts));
  }
  return 0;
}
