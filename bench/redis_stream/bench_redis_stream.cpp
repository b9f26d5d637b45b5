// Benchmark: XADD entries/s the redis_stream output sustains through write()
// against a local redis-server, next to redis-benchmark sending the same XADD
// (same trimming arguments, same payload size) with the same pipeline depth
// over one connection. Prints a Markdown table; records nothing by itself.
//
// Build: cmake --build <build> --target bench_redis_stream
// Run:   bench/redis_stream/run.sh <build> or <build>/bench_redis_stream            (env: RP_BENCH_ENTRIES,
// RP_BENCH_BATCH, RP_BENCH_RUNS)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>

#include <boost/asio/post.hpp>

#include "redis_output_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

long env_long(const char* name, long def) {
  const char* v = std::getenv(name);
  return v ? std::strtol(v, nullptr, 10) : def;
}

Metric sample(long i) {
  Metric m("pppoe_traffic", now_ns());
  m.set_tag("router", "pop1-core")
      .set_tag("pppoe_user", "cust" + std::to_string(i % 5000))
      .set_tag("interface", "<pppoe-cust>");
  m.set_field("download_bits_per_second", int64_t{12345678}).set_field("upload_bits_per_second", int64_t{2345678});
  m.set_field("rx_bytes", uint64_t{987654321012}).set_field("tx_bytes", uint64_t{123456789012});
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// CSV: "test","rps",<6 latency columns>. The test name may contain `","`
// (a JSON payload does), so the rps column is found from the right.
double redis_benchmark_rps(const std::string& cmd) {
  std::string out;
  run_command(cmd, &out);
  auto start = out.find("\n\"");
  if (start == std::string::npos) return 0;
  std::string line = out.substr(start + 1, out.find('\n', start + 1) - start - 1);
  size_t pos = line.size();
  for (int i = 0; i < 7 && pos != std::string::npos && pos > 0; ++i) pos = line.rfind("\",\"", pos - 1);
  return pos == std::string::npos ? 0 : std::strtod(line.c_str() + pos + 3, nullptr);
}

// Writes every batch with one write in flight, chaining the next write from
// the completion on the output's strand — as the engine's OutputRunner does
// (the component and its context come from the engine's component factory,
// through the test Harness) —
// so no cross-thread hand-off per batch is measured. Returns false on any failure.
bool write_all(RedisOutput& out, const std::vector<MetricBatch>& batches) {
  auto& strand = out.context().strand;
  std::promise<bool> finished;
  std::function<void(size_t)> next = [&](size_t i) {
    if (i == batches.size()) {
      finished.set_value(true);
      return;
    }
    out.output().write(batches[i], [&, i](WriteResult r) {
      if (!r.ok) {
        finished.set_value(false);
        return;
      }
      boost::asio::post(strand, [&, i] { next(i + 1); });
    });
  };
  boost::asio::post(strand, [&] { next(0); });
  return finished.get_future().get();
}

}  // namespace

TEST_CASE("redis_stream XADD throughput vs redis-benchmark", "[bench]") {
  const long entries = env_long("RP_BENCH_ENTRIES", 200000);
  const long batch_size = env_long("RP_BENCH_BATCH", 1000);
  const long runs = env_long("RP_BENCH_RUNS", 3);
  RedisServer redis;
  RedisOutput out("url: " + redis.url() + "\nstream: bench:rp");
  REQUIRE(out.wait_connected());

  std::vector<MetricBatch> batches;
  for (long i = 0; i < entries; i += batch_size) {
    MetricBatch b;
    for (long j = i; j < std::min(entries, i + batch_size); ++j) b.push_back(sample(j));
    batches.push_back(std::move(b));
  }
  std::string payload = to_json(batches[0][0]);

  std::vector<double> ours, theirs, ratios, tiny;
  for (long r = 0; r < runs; ++r) {
    redis.cmd({"DEL", "bench:rp", "bench:rb"});
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(write_all(out, batches));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ours.push_back(static_cast<double>(entries) / secs);

    std::string cmd = "redis-benchmark -p " + std::to_string(redis.port()) + " -c 1 -n " + std::to_string(entries) +
                      " -P " + std::to_string(batch_size) + " --csv XADD bench:rb MAXLEN '~' 100000 '*' data '" +
                      payload + "'";
    theirs.push_back(redis_benchmark_rps(cmd));
    // The minimal form (1-byte payload, no trimming) as a ceiling.
    tiny.push_back(redis_benchmark_rps("redis-benchmark -p " + std::to_string(redis.port()) + " -c 1 -n " +
                                       std::to_string(entries) + " -P " + std::to_string(batch_size) +
                                       " --csv xadd s '*' data x"));
    REQUIRE(theirs.back() > 0);
    ratios.push_back(ours.back() / theirs.back());
  }
  // Runs alternate between the two clients; the median of the per-run ratios
  // is steadier than a ratio of medians on a shared machine.
  double a = median(ours), b = median(theirs), ratio = median(ratios);
  double t = median(tiny);
  std::printf(
      "\n| entries | batch_size / -P | payload bytes | redis_stream write() entries/s | redis-benchmark same XADD/s "
      "(-c 1) | ratio (median per run) | redis-benchmark `xadd s * data x`/s | ratio to that |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::printf("| %ld | %ld | %zu | %.0f | %.0f | %.2f | %.0f | %.2f |\n", entries, batch_size, payload.size(), a, b,
              ratio, t, t > 0 ? a / t : 0.0);
  std::printf(
      "runs=%ld (medians; ratio = median of per-run ratios); redis-benchmark command: redis-benchmark -p <port> -c 1 "
      "-n %ld -P %ld --csv XADD bench:rb "
      "MAXLEN '~' 100000 '*' data '<%zu-byte JSON>'\n",
      runs, entries, batch_size, payload.size());
  CHECK(out.counter("entries_written_total") == static_cast<uint64_t>(entries * runs));  // routerpulse_redis_stream_*
}
