// icmp input: rounds over a targets file, measured in-process (wall, CPU of
// the whole process, RSS), for bench/icmp/run.sh. The input is made exactly
// as the engine makes it (loader, context, options) and gathered on one io
// thread.
//   build/bench_icmp TARGETS_FILE [count=1] [rate=0] [timeout=1s] [mode=auto] [rounds=1] [probe_interval=0s]
// Prints one line per round:
//   round=N wall_s=... cpu_s=... targets=... up=... down=... sent=... received=... loss_pct=... rss_kb=... rss0_kb=...
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

using namespace routerpulse;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
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
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TARGETS_FILE [count] [rate] [timeout] [mode] [rounds] [probe_interval]\n", argv[0]);
    return 2;
  }
  const std::string file = argv[1];
  const std::string count = argc > 2 ? argv[2] : "1";
  const std::string rate = argc > 3 ? argv[3] : "0";
  const std::string timeout = argc > 4 ? argv[4] : "1s";
  const std::string mode = argc > 5 ? argv[5] : "auto";
  const int rounds = argc > 6 ? std::atoi(argv[6]) : 1;
  const std::string probe_interval = argc > 7 ? argv[7] : "0s";
  spdlog::set_level(spdlog::level::warn);

  PluginLoader loader(std::string(ROUTERPULSE_BENCH_BUILD_DIR) + "/plugins");
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  SelfMetrics stats;
  HealthRegistry health;
  const engine::ContextServices services{io, stats, health, system_clock()};
  const PluginDescriptor& d = *loader.get(PluginKind::input, "icmp").descriptor;
  auto ctx = engine::make_context({.kind = PluginKind::input,
                                   .id = "icmp",
                                   .plugin = "icmp",
                                   .pipeline = {},
                                   .config_dir = {},
                                   .interval = std::chrono::seconds(60),
                                   .log = spdlog::default_logger()},
                                  services);
  std::atomic<long> up{0}, down{0}, sent{0}, received{0}, targets{0};
  ctx->emit = [&](MetricBatch&& b) {
    for (const auto& m : b) {
      ++targets;
      const FieldValue* u = m.field("up");
      (u && std::get<bool>(*u) ? up : down)++;
      sent += std::get<int64_t>(*m.field("packets_transmitted"));
      received += std::get<int64_t>(*m.field("packets_received"));
    }
  };
  const std::string yaml = "{targets_file: " + file + ", count: " + count + ", rate: " + rate +
                           ", timeout: " + timeout + ", mode: " + mode + ", probe_interval: " + probe_interval + "}";
  const Options opts =
      engine::component_options(d, YAML::Load(yaml), "inputs.icmp", std::make_shared<const std::string>("<bench>"));
  auto input = std::dynamic_pointer_cast<Input>(engine::create_component(d, opts, ctx));
  std::thread t([&] { io.run(); });
  {
    std::promise<void> p;
    boost::asio::post(ctx->strand, [&] {
      input->start();
      p.set_value();
    });
    p.get_future().get();
  }
  const long rss0 = rss_kb();
  for (int r = 1; r <= rounds; ++r) {
    up = down = sent = received = targets = 0;
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::promise<void> p;
    boost::asio::post(ctx->strand, [&] { input->gather([&] { p.set_value(); }); });
    p.get_future().get();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    std::printf(
        "round=%d wall_s=%.4f cpu_s=%.4f targets=%ld up=%ld down=%ld sent=%ld received=%ld loss_pct=%.3f rss_kb=%ld "
        "rss0_kb=%ld\n",
        r, wall, cpu, targets.load(), up.load(), down.load(), sent.load(), received.load(),
        sent ? 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent) : 0.0, peak_rss_kb(), rss0);
    std::fflush(stdout);
  }
  std::string prom;
  stats.write_prometheus(prom);
  for (const char* k : {"routerpulse_icmp_socket_drops_total", "routerpulse_icmp_unmatched_replies_total",
                        "routerpulse_icmp_receive_buffer_bytes", "routerpulse_icmp_socket_mode"}) {
    size_t p = prom.find(std::string("\n") + k);
    if (p != std::string::npos) std::printf("%s\n", prom.substr(p + 1, prom.find('\n', p + 1) - p - 1).c_str());
  }
  std::promise<void> p;
  boost::asio::post(ctx->strand, [&] { input->stop([&] { p.set_value(); }); });
  p.get_future().get();
  work.reset();
  io.stop();
  t.join();
  return 0;
}
