// Benchmark: output `prometheus` + the agent's HTTP server with N series.
//
// Loads the real plugin (build/plugins/librp_output_prometheus.so), hosts it
// the way the engine does (engine/component_factory.hpp), fills it
// with N series shaped like PPPoE customer traffic (N/4 sessions × rx_bps,
// tx_bps gauges and rx_bytes, tx_bytes counters; tags router, interface,
// pppoe_user, customer_id) and measures:
//   - write(): first batch (creates every series) and a second one (updates)
//   - render: building the /metrics body in-process
//   - scrape: GET /metrics over loopback HTTP, identity and gzip
// Usage: bench_prometheus_scrape [series=100000] [rounds=15] [plugin_dir]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/component_factory.hpp"
#include "engine/plugin_loader.hpp"
#include "http/http_server.hpp"
#include "http_client.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/stats.hpp"

#ifndef ROUTERPULSE_BENCH_PLUGIN_DIR
#define ROUTERPULSE_BENCH_PLUGIN_DIR "./plugins"
#endif

using namespace routerpulse;
using WallClock = std::chrono::steady_clock;

namespace {

double ms_since(WallClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(WallClock::now() - t0).count();
}

/// CPU time of the calling thread in ms (robust against other load on the machine).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

MetricBatch make_batch(size_t sessions, uint64_t round) {
  MetricBatch b;
  b.reserve(sessions * 2);
  for (size_t i = 0; i < sessions; ++i) {
    const std::string user = "customer" + std::to_string(i) + "@isp.example";
    const std::string router = "pop" + std::to_string(i % 8) + "-bras";
    for (auto type : {MetricType::gauge, MetricType::counter}) {
      Metric m("pppoe_traffic", 0, type);
      m.reserve(4, 2);
      m.set_tag("router", router).set_tag("interface", "<pppoe-" + user + ">").set_tag("pppoe_user", user);
      m.set_tag("customer_id", std::to_string(100000 + i));
      if (type == MetricType::gauge)
        m.set_field("download_bits_per_second", uint64_t{1000 * i + round})
            .set_field("upload_bits_per_second", 12.5 * i);
      else
        m.set_field("rx_bytes", uint64_t{123456789 * round + i}).set_field("tx_bytes", uint64_t{98765 * round});
      b.push_back(std::move(m));
    }
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t series = argc > 1 ? std::stoul(argv[1]) : 100000;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 15;
  const std::string plugin_dir = argc > 3 ? argv[3] : ROUTERPULSE_BENCH_PLUGIN_DIR;
  const size_t sessions = series / 4;

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  SelfMetrics stats;
  HealthRegistry health;
  auto log = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  log->set_level(spdlog::level::warn);

  int rc = 0;
  {
    HttpServer server(io, stats, health, log);
    HttpServerSettings hs;
    hs.port = 0;
    server.configure(hs);
    server.start();

    PluginLoader loader(plugin_dir);
    const PluginDescriptor& plugin = *loader.get(PluginKind::output, "prometheus").descriptor;
    auto ctx = engine::make_context({.kind = PluginKind::output,
                                     .id = "prometheus",
                                     .plugin = "prometheus",
                                     .pipeline = {},
                                     .config_dir = ".",
                                     .interval = std::chrono::seconds(10),
                                     .log = log},
                                    {io, stats, health, system_clock(), &server});
    const Options opts = engine::component_options(plugin, YAML::Load("{expire_after: 0}"), "outputs.prometheus",
                                                   std::make_shared<const std::string>("<bench>"));
    auto comp = engine::create_component(plugin, opts, ctx);
    auto& out = dynamic_cast<Output&>(*comp);
    comp->start();

    auto b1 = make_batch(sessions, 1), b2 = make_batch(sessions, 2);
    double c0 = thread_cpu_ms();
    out.write(b1, [](WriteResult) {});
    const double insert_ms = thread_cpu_ms() - c0;
    c0 = thread_cpu_ms();
    out.write(b2, [](WriteResult) {});
    const double update_ms = thread_cpu_ms() - c0;

    std::vector<double> render, plain, gz;
    size_t render_bytes = 0, plain_bytes = 0, gz_bytes = 0;
    for (int i = 0; i < rounds; ++i) {
      c0 = thread_cpu_ms();
      render_bytes = server.render_metrics().size();
      render.push_back(thread_cpu_ms() - c0);
    }
    auto t0 = WallClock::now();
    test::HttpClient client(server.port(), std::chrono::seconds(60));
    for (int i = 0; i < rounds; ++i) {
      t0 = WallClock::now();
      auto r = client.get("/metrics");
      plain.push_back(ms_since(t0));
      plain_bytes = r.body.size();
      t0 = WallClock::now();
      auto z = client.get("/metrics", {{"Accept-Encoding", "gzip"}});
      gz.push_back(ms_since(t0));
      gz_bytes = z.body.size();
      if (r.status != 200 || z.header("content-encoding") != "gzip") rc = 1;
    }
    std::printf("series=%zu sessions=%zu rounds=%d\n", series, sessions, rounds);
    std::printf("write (create %zu series):     %.1f ms CPU (%.0f ns/sample)\n", series, insert_ms,
                insert_ms * 1e6 / static_cast<double>(series));
    std::printf("write (update %zu series):     %.1f ms CPU (%.0f ns/sample)\n", series, update_ms,
                update_ms * 1e6 / static_cast<double>(series));
    std::printf("render /metrics in-process:        median %.1f ms CPU, %zu bytes\n", median(render), render_bytes);
    std::printf("scrape GET /metrics identity:      median %.1f ms wall, %zu bytes\n", median(plain), plain_bytes);
    std::printf("scrape GET /metrics gzip:          median %.1f ms wall, %zu bytes (%.1f%%)\n", median(gz), gz_bytes,
                100.0 * static_cast<double>(gz_bytes) / static_cast<double>(plain_bytes));
    auto p = read_process_stats();
    std::printf("process RSS after run: %.1f MiB\n", p.resident_memory_bytes / 1048576.0);
    comp->stop([] {});
    comp.reset();
  }
  work.reset();
  io_thread.join();
  return rc;
}
