// Agent-side cost of RouterOS sessions against tools/routeros-sim:
//  1. memory per idle session: RSS of this process before and after N logged-in
//     sessions (one per simulated router) have settled;
//  2. with --stream S: every session streams /interface/monitor-traffic for all
//     of its router's PPPoE interfaces for S seconds; prints rows/s received vs.
//     expected and the sim→client latency from the sim's =.sim-sent-ns=.
// Usage: bench_routeros_sessions --base-port P --routers N [--stream S] [--threads T]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "routerpulse/health.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "routerpulse/routeros/values.hpp"
#include "routerpulse/stats.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros;
using namespace std::chrono_literals;

namespace {
long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

bool wait_for(const std::function<bool()>& pred, std::chrono::seconds t) {
  auto end = std::chrono::steady_clock::now() + t;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  int base = 18728, routers = 50, threads = 1;
  double stream_s = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--base-port")
      base = std::atoi(argv[i + 1]);
    else if (a == "--routers")
      routers = std::atoi(argv[i + 1]);
    else if (a == "--stream")
      stream_s = std::atof(argv[i + 1]);
    else if (a == "--threads")
      threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  SelfMetrics stats;
  HealthRegistry health;
  auto finish = [&](int code) {
    work.reset();
    io.stop();
    for (auto& t : pool) t.join();
    return code;
  };
  std::this_thread::sleep_for(200ms);
  const long rss0 = rss_kib();
  {
    RouterRegistry reg(io, stats, health, spdlog::default_logger());
    for (int r = 0; r < routers; ++r) {
      RouterConfig c;
      c.name = "sim" + std::to_string(r);
      c.host = "127.0.0.1";
      c.port = static_cast<uint16_t>(base + r);
      c.username = "admin";
      reg.add(c);
    }
    reg.start();
    auto all_up = [&] {
      for (auto& n : reg.names())
        if (!reg.find(n)->is_up()) return false;
      return true;
    };
    if (!wait_for(all_up, 60s)) {
      std::fprintf(stderr, "not every session came up\n");
      return finish(1);
    }
    std::this_thread::sleep_for(2s);
    const long rss1 = rss_kib();
    std::printf("idle sessions: %d, RSS %ld KiB -> %ld KiB, %.1f KiB per idle session\n", routers, rss0, rss1,
                static_cast<double>(rss1 - rss0) / routers);

    if (stream_s > 0) {
      std::atomic<uint64_t> rows{0}, expected_per_round{0};
      Histogram& lat = stats.histogram("bench", "sim_to_client_seconds", "", {},
                                       {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5});
      std::atomic<bool> measuring{false};
      std::vector<StreamPtr> streams;
      for (auto& n : reg.names()) {
        auto s = reg.find(n);
        Command list("/ppp/active/print");
        list.proplist({"name"});
        std::promise<Result> p;
        s->execute(list, [&](Result r) { p.set_value(std::move(r)); });
        Result r = p.get_future().get();
        if (!r.ok()) {
          std::fprintf(stderr, "%s: %s\n", n.c_str(), r.error.message.c_str());
          return finish(1);
        }
        std::string ifaces;
        for (auto& row : r.rows) ifaces += (ifaces.empty() ? "<pppoe-" : ",<pppoe-") + row.get_or("name") + ">";
        expected_per_round += r.rows.size();
        Command mon("/interface/monitor-traffic");
        mon.attr("interface", ifaces);
        streams.push_back(s->stream(mon, [&](const Reply& rep) {
          if (!measuring.load(std::memory_order_relaxed)) return;
          rows.fetch_add(1, std::memory_order_relaxed);
          if (auto ns = parse_ros_uint(rep.get_or(".sim-sent-ns")))
            lat.observe(static_cast<double>(now_ns() - static_cast<int64_t>(*ns)) / 1e9);
        }));
      }
      std::this_thread::sleep_for(3s);  // warm-up: first rounds, allocations
      measuring = true;
      const auto t0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::duration<double>(stream_s));
      measuring = false;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf(
          "streaming: %d routers x %llu interfaces: %.0f rows/s received (expected %.0f/s at 1 s cadence), "
          "sim->client latency p50 %.1f ms p99 %.1f ms, RSS %ld KiB\n",
          routers, static_cast<unsigned long long>(expected_per_round.load() / routers),
          static_cast<double>(rows.load()) / secs, static_cast<double>(expected_per_round.load()),
          lat.quantile(0.5) * 1e3, lat.quantile(0.99) * 1e3, rss_kib());
      for (auto& s : streams) s->cancel();
    }
    std::promise<void> stopped;
    reg.stop([&] { stopped.set_value(); });
    stopped.get_future().wait_for(10s);
  }
  return finish(0);
}
