// arp_presence input: rounds against routeros-sim routers, measured in-process
// (wall, CPU of this process = the agent's side, API bytes read per router).
// The input is made exactly as the engine makes it (loader, context, options,
// a RouterRegistry with one session per router) on two io threads like the
// agent's default pool.
//   build/bench_arp_presence ROUTERS BASE_PORT TARGETS_FILE [rounds=5] [extra YAML options]
// Prints one line per round:
//   round=N wall_s=... cpu_s=... targets=... online=... offline=... unknown=... pings=...
//   bytes_per_router_avg=... bytes_per_router_max=... rss_kb=...
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "engine/component_factory.hpp"
#include "engine/plugin_loader.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/routeros/registry.hpp"

using namespace routerpulse;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s ROUTERS BASE_PORT TARGETS_FILE [rounds] [extra yaml]\n", argv[0]);
    return 2;
  }
  const int routers = std::atoi(argv[1]);
  const int base_port = std::atoi(argv[2]);
  const std::string file = argv[3];
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 5;
  const std::string extra = argc > 5 ? argv[5] : "";
  spdlog::set_level(spdlog::level::warn);

  PluginLoader loader(std::string(ROUTERPULSE_BENCH_BUILD_DIR) + "/plugins");
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  SelfMetrics stats;
  HealthRegistry health;
  routeros::RouterRegistry registry(io, stats, health, spdlog::default_logger());
  for (int i = 0; i < routers; ++i) {
    routeros::RouterConfig c;
    c.name = "r" + std::to_string(i);
    c.host = "127.0.0.1";
    c.port = static_cast<uint16_t>(base_port + i);
    c.username = "admin";
    registry.add(c);
  }
  const engine::ContextServices services{io, stats, health, system_clock(), nullptr, &registry};
  const PluginDescriptor& d = *loader.get(PluginKind::input, "arp_presence").descriptor;
  auto ctx = engine::make_context({.kind = PluginKind::input,
                                   .id = "arp_presence",
                                   .plugin = "arp_presence",
                                   .pipeline = {},
                                   .config_dir = {},
                                   .interval = std::chrono::seconds(30),
                                   .log = spdlog::default_logger()},
                                  services);
  std::atomic<long> online{0}, offline{0}, unknown{0}, users{0}, pinged{0};
  ctx->emit = [&](MetricBatch&& b) {
    for (const auto& m : b) {
      if (m.name() != "static_user") continue;
      ++users;
      const FieldValue* o = m.field("online");
      if (!o)
        ++unknown;
      else
        (std::get<bool>(*o) ? online : offline)++;
      if (const FieldValue* v = m.field("verified_by"); v && std::get<std::string>(*v) == "ping") ++pinged;
    }
  };
  const std::string yaml = "{targets_file: " + file + (extra.empty() ? "" : ", " + extra) + "}";
  const Options opts = engine::component_options(d, YAML::Load(yaml), "inputs.arp_presence",
                                                 std::make_shared<const std::string>("<bench>"));
  auto input = std::dynamic_pointer_cast<Input>(engine::create_component(d, opts, ctx));
  std::thread t1([&] { io.run(); }), t2([&] { io.run(); });
  registry.start();
  for (int i = 0; i < routers; ++i) {
    auto s = registry.find("r" + std::to_string(i));
    for (int w = 0; w < 1000 && !s->is_up(); ++w) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::promise<void> p;
    boost::asio::post(ctx->strand, [&] {
      input->start();
      p.set_value();
    });
    p.get_future().get();
  }
  for (int r = 1; r <= rounds; ++r) {
    online = offline = unknown = users = pinged = 0;
    std::vector<uint64_t> bytes0(static_cast<size_t>(routers));
    for (int i = 0; i < routers; ++i)
      bytes0[size_t(i)] = registry.find("r" + std::to_string(i))->counters().bytes_received;
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::promise<void> p;
    boost::asio::post(ctx->strand, [&] { input->gather([&] { p.set_value(); }); });
    p.get_future().get();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    uint64_t sum = 0, mx = 0;
    for (int i = 0; i < routers; ++i) {
      uint64_t b = registry.find("r" + std::to_string(i))->counters().bytes_received - bytes0[size_t(i)];
      sum += b;
      mx = std::max(mx, b);
    }
    std::printf(
        "round=%d wall_s=%.3f cpu_s=%.4f targets=%ld online=%ld offline=%ld unknown=%ld verified_by_ping=%ld "
        "bytes_per_router_avg=%llu bytes_per_router_max=%llu rss_kb=%ld\n",
        r, wall, cpu, users.load(), online.load(), offline.load(), unknown.load(), pinged.load(),
        static_cast<unsigned long long>(sum / static_cast<uint64_t>(routers)), static_cast<unsigned long long>(mx),
        peak_rss_kb());
    std::fflush(stdout);
  }
  std::string prom;
  stats.write_prometheus(prom);
  for (const char* k :
       {"routerpulse_arp_presence_verifications_total", "routerpulse_arp_presence_verifications_skipped_total",
        "routerpulse_arp_presence_arp_rows_total"}) {
    size_t pos = prom.find(std::string("\n") + k);
    if (pos != std::string::npos) std::printf("%s\n", prom.substr(pos + 1, prom.find('\n', pos + 1) - pos - 1).c_str());
  }
  std::promise<void> p;
  boost::asio::post(ctx->strand, [&] { input->stop([&] { p.set_value(); }); });
  p.get_future().get();
  std::promise<void> rs;
  registry.stop([&] { rs.set_value(); });
  rs.get_future().wait_for(std::chrono::seconds(5));
  work.reset();
  io.stop();
  t1.join();
  t2.join();
  return 0;
}
