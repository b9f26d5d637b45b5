// Engine throughput: batches of pppoe_traffic-shaped metrics pushed through a
// Pipeline (no processors) into an OutputRunner whose output formats line
// protocol and discards it. Measures metrics/s and CPU seconds per million
// metrics, single io thread.
//   build/bench_pipeline [total_metrics] [batch]
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <spdlog/spdlog.h>

#include "../bench_util.hpp"
#include "engine/component_factory.hpp"
#include "engine/output_runner.hpp"
#include "engine/pipeline.hpp"
#include "routerpulse/health.hpp"

using namespace routerpulse;
using routerpulse::bench::cpu_seconds;

namespace {

class NullOutput final : public Output {
 public:
  static constexpr std::array<OptionSpec, 0> options{};
  std::atomic<uint64_t> written{0};
  std::atomic<uint64_t> bytes{0};
  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    std::string s;
    s.reserve(batch.size() * 180);
    for (const auto& m : batch) append_line_protocol(s, m);
    bytes += s.size();
    written += batch.size();
    done(WriteResult::success());
  }
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 500;
  spdlog::set_level(spdlog::level::warn);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  SelfMetrics stats;
  HealthRegistry health;
  auto out = std::make_shared<NullOutput>();
  auto* sink = out.get();
  auto ctx = engine::make_context(engine::ContextSpec{.kind = PluginKind::output,
                                                      .id = "null",
                                                      .plugin = "null",
                                                      .pipeline = {},
                                                      .config_dir = {},
                                                      .interval = {},
                                                      .log = spdlog::default_logger()},
                                  engine::ContextServices{io, stats, health, system_clock(), nullptr, nullptr});
  engine::OutputSettings s;
  s.batch_size = 1000;
  s.buffer_limit = 1000000;
  auto runner = std::make_shared<engine::OutputRunner>(std::move(out), std::move(ctx), s);
  auto pipeline = std::make_shared<engine::Pipeline>("bench", stats);
  pipeline->outputs.push_back(runner);
  runner->start();
  std::thread t([&] { io.run(); });

  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  int64_t ts = now_ns();
  while (sent < total) {
    MetricBatch b;
    b.reserve(batch);
    for (size_t i = 0; i < batch; ++i, ++sent) {
      Metric m("pppoe_traffic", ts);
      m.reserve(4, 8);
      m.set_tag("router", "pop1-r" + std::to_string(sent % 50));
      m.set_tag("pppoe_user", "user" + std::to_string(sent % 2000));
      m.set_tag("interface", "<pppoe-user" + std::to_string(sent % 2000) + ">");
      m.set_tag("caller_id", "AA:BB:CC:00:07:D0");
      m.set_field("download_bits_per_second", 1234567.0).set_field("upload_bits_per_second", 7654321.0);
      m.set_field("download_packets_per_second", 120.0).set_field("upload_packets_per_second", 640.0);
      m.set_field("download_drops_per_second", 0.0).set_field("upload_drops_per_second", 0.0);
      m.set_field("download_errors_per_second", 0.0).set_field("upload_errors_per_second", 0.0);
      b.push_back(std::move(m));
    }
    pipeline->submit(std::move(b));
    // Keep at most ~50k metrics queued so the measurement is of steady state.
    while (sent - sink->written.load() > 50000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  while (sink->written.load() < total) std::this_thread::sleep_for(std::chrono::microseconds(100));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  std::printf("metrics=%llu batch=%zu wall=%.3fs rate=%.0f metrics/s cpu=%.3fs cpu_per_million=%.3fs bytes=%llu\n",
              static_cast<unsigned long long>(total), batch, secs, static_cast<double>(total) / secs, cpu,
              cpu / (static_cast<double>(total) / 1e6), static_cast<unsigned long long>(sink->bytes.load()));
  work.reset();
  io.stop();
  t.join();
  return 0;
}
