// Benchmark: output `prometheus` + the agent's HTTP server with N series.
//
// Loads the real plugin (build/plugins/librp_output_prometheus.so), hosts it
// the way the engine does (engine/component_factory.hpp), fills it
// with N series shaped like PPPoE customer traffic (N/4 sessions × rx_bps,
// tx_bps gauges and rx_bytes, tx_bytes counters; tags router, interface,
// pppoe_user, customer_id) and measures:
//   - write(): first batch (creates every series) and a second one (updates),
//     both built with set_tag (every metric has a TagSet of its own)
//   - write() in steady state the way real inputs feed it: every session has
//     ONE TagSet shared by its metrics and reused every round, the Metric
//     objects are new each round; median CPU per sample over `rounds` rounds
//   - render: building the /metrics body in-process
//   - scrape: GET /metrics over loopback HTTP, identity and gzip
//   - write() latency (wall) of batches of `slice` metrics written back to
//     back for `latency_s` seconds, without and with a scrape (in-process
//     render of /metrics) started every second on another thread: p50/p99/max
// Usage: bench_prometheus_scrape [series=100000] [rounds=15] [plugin_dir|-]
//                                [latency_s=5] [slice=1000]
#include <algorithm>
#include <atomic>
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

/// One TagSet per session, as an input that keeps a prototype per session has.
std::vector<TagSet> make_tag_sets(size_t sessions) {
  std::vector<TagSet> v;
  v.reserve(sessions);
  for (size_t i = 0; i < sessions; ++i) {
    const std::string user = "customer" + std::to_string(i) + "@isp.example";
    v.push_back(make_tag_set({{"router", "pop" + std::to_string(i % 8) + "-bras"},
                              {"interface", "<pppoe-" + user + ">"},
                              {"pppoe_user", user},
                              {"customer_id", std::to_string(100000 + i)}}));
  }
  return v;
}

/// New Metric objects for every session, sharing the session's TagSet.
MetricBatch make_shared_batch(const std::vector<TagSet>& tag_sets, uint64_t round) {
  static const Key dl("download_bits_per_second"), ul("upload_bits_per_second"), rx("rx_bytes"), tx("tx_bytes");
  MetricBatch b;
  b.reserve(tag_sets.size() * 2);
  for (size_t i = 0; i < tag_sets.size(); ++i) {
    for (auto type : {MetricType::gauge, MetricType::counter}) {
      Metric m("pppoe_traffic", 0, type);
      m.reserve(0, 2);
      m.set_tag_set(tag_sets[i]);
      if (type == MetricType::gauge)
        m.set_field(dl, uint64_t{1000 * i + round}).set_field(ul, 12.5 * static_cast<double>(i));
      else
        m.set_field(rx, uint64_t{123456789 * round + i}).set_field(tx, uint64_t{98765 * round});
      b.push_back(std::move(m));
    }
  }
  return b;
}

struct Latency {
  double p50 = 0, p99 = 0, max = 0;
  size_t writes = 0;
};

/// Writes `batch` in slices of `slice` metrics, back to back, for `seconds`;
/// wall time of every write() call.
Latency write_latency(Output& out, const MetricBatch& batch, size_t slice, double seconds) {
  std::vector<double> ms;
  const auto end = WallClock::now() + std::chrono::duration<double>(seconds);
  for (size_t at = 0; WallClock::now() < end; at = (at + slice) % batch.size()) {
    BatchView v;
    v.reserve(slice);
    for (size_t i = at; i < std::min(at + slice, batch.size()); ++i) v.add(&batch[i]);
    const auto t0 = WallClock::now();
    out.write(v, [](WriteResult) {});
    ms.push_back(ms_since(t0));
  }
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.writes = ms.size();
  l.p50 = ms[ms.size() / 2];
  l.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  l.max = ms.back();
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t series = argc > 1 ? std::stoul(argv[1]) : 100000;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 15;
  const std::string plugin_dir =
      argc > 3 && std::string(argv[3]) != "-" ? argv[3] : ROUTERPULSE_BENCH_PLUGIN_DIR;
  const double latency_s = argc > 4 ? std::stod(argv[4]) : 5;
  const size_t slice = argc > 5 ? std::stoul(argv[5]) : 1000;
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
    b1 = {};
    b2 = {};

    // Steady state: one TagSet per session reused every round, new metrics.
    const auto tag_sets = make_tag_sets(sessions);
    std::vector<double> shared_ns;
    MetricBatch shared;
    for (int r = 0; r <= rounds; ++r) {
      shared = make_shared_batch(tag_sets, 3 + static_cast<uint64_t>(r));
      c0 = thread_cpu_ms();
      out.write(shared, [](WriteResult) {});
      // round 0 moves every series to the shared TagSets (a cache miss each)
      if (r > 0) shared_ns.push_back((thread_cpu_ms() - c0) * 1e6 / static_cast<double>(series));
    }

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
    // write() latency, first alone, then with a scrape started every second.
    const Latency quiet = write_latency(out, shared, slice, latency_s);
    std::atomic<bool> scraping{true};
    std::atomic<int> scrapes{0};
    std::vector<double> scrape_ms;
    std::thread scraper([&] {
      while (scraping) {
        const auto t = WallClock::now();
        server.render_metrics();
        scrape_ms.push_back(ms_since(t));
        ++scrapes;
        while (scraping && WallClock::now() < t + std::chrono::seconds(1))
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
    const Latency busy = write_latency(out, shared, slice, latency_s);
    scraping = false;
    scraper.join();

    std::printf("series=%zu sessions=%zu rounds=%d\n", series, sessions, rounds);
    std::printf("write (create %zu series):     %.1f ms CPU (%.0f ns/sample)\n", series, insert_ms,
                insert_ms * 1e6 / static_cast<double>(series));
    std::printf("write (update %zu series):     %.1f ms CPU (%.0f ns/sample)\n", series, update_ms,
                update_ms * 1e6 / static_cast<double>(series));
    std::printf("write (update, shared TagSets):   median %.0f ns/sample CPU (min %.0f, %zu rounds)\n",
                median(shared_ns), *std::min_element(shared_ns.begin(), shared_ns.end()), shared_ns.size());
    std::printf("render /metrics in-process:        median %.1f ms CPU, %zu bytes\n", median(render), render_bytes);
    std::printf("scrape GET /metrics identity:      median %.1f ms wall, %zu bytes\n", median(plain), plain_bytes);
    std::printf("scrape GET /metrics gzip:          median %.1f ms wall, %zu bytes (%.1f%%)\n", median(gz), gz_bytes,
                100.0 * static_cast<double>(gz_bytes) / static_cast<double>(plain_bytes));
    std::printf("write() of %zu metrics, no scrape:  p50 %.2f ms, p99 %.2f ms, max %.2f ms wall (%zu writes)\n",
                slice, quiet.p50, quiet.p99, quiet.max, quiet.writes);
    std::printf("write() of %zu metrics, scrape/1s:  p50 %.2f ms, p99 %.2f ms, max %.2f ms wall (%zu writes, "
                "%d scrapes, median %.0f ms wall)\n",
                slice, busy.p50, busy.p99, busy.max, busy.writes, scrapes.load(), scrape_ms.empty() ? 0.0 : median(scrape_ms));
    auto p = read_process_stats();
    std::printf("process RSS after run: %.1f MiB\n", p.resident_memory_bytes / 1048576.0);
    comp->stop([] {});
    comp.reset();
  }
  work.reset();
  io_thread.join();
  return rc;
}
