// Benchmark: metrics/s through pg_enrich's process() against a real
// PostgreSQL 15 (started by the benchmark, 50,000 customers).
//
//   warm   — every key is in the cache (preload_query), so process() answers
//            from memory and calls next synchronously;
//   misses — every metric carries a key never seen before, so every metric
//            costs one lookup query (pipelined, max_in_flight deep).
//
// The processor is built by test::Harness exactly as the agent builds it (the
// engine's component factory and make_context, SDK v2), on the system clock.
//
// Usage: bench_pg_enrich [customers=50000] [batch=1000] [warm_rounds=200]
// Run through bench/pg_enrich/run.sh, which records the command line.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "pg_enrich_test_util.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using WallClock = std::chrono::steady_clock;  // the benchmark measures real time

namespace {

std::string user(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user%05d", i);
  return buf;
}

double seconds_since(WallClock::time_point t0) { return std::chrono::duration<double>(WallClock::now() - t0).count(); }

/// CPU time of this process (all threads), seconds: the machine may be shared,
/// so rates are reported per wall second and per CPU second.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall, cpu;
};

/// Runs `batches` through process() in one strand turn and waits for all of them.
Timing run_all(EnrichUnderTest& e, std::vector<MetricBatch> batches, size_t* enriched) {
  const auto t0 = WallClock::now();
  const double c0 = cpu_seconds();
  auto futures = e.process_all(std::move(batches));
  for (auto& f : futures) {
    auto out = f.get();
    for (const auto& m : out)
      if (m.tag("customer_id")) ++*enriched;
  }
  return {seconds_since(t0), cpu_seconds() - c0};
}

void bench_warm(PgServer& pg, int customers, int batch, int rounds) {
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg,
                                      "preload_query: \"SELECT pppoe_username, id::text AS customer_id, name, "
                                      "package FROM customers\"\nttl: 1h\nrefresh_interval: 0"));
  e->start();
  if (!wait_until([&] { return e->counter("preloads_total") >= 1; }, std::chrono::seconds(60))) {
    std::fprintf(stderr, "preload did not finish\n");
    std::exit(1);
  }
  std::vector<MetricBatch> batches(static_cast<size_t>(rounds));
  for (int r = 0; r < rounds; ++r)
    for (int i = 0; i < batch; ++i)
      batches[static_cast<size_t>(r)].push_back(traffic(user(1 + (r * batch + i) % customers)));
  size_t enriched = 0;
  const size_t total = static_cast<size_t>(rounds) * static_cast<size_t>(batch);
  Timing t = run_all(*e, std::move(batches), &enriched);
  std::printf(
      "warm cache : %zu metrics in %.3f s = %.0f metrics/s wall, %.0f metrics/CPU-s "
      "(enriched %zu, queries %llu)\n",
      total, t.wall, static_cast<double>(total) / t.wall, static_cast<double>(total) / t.cpu, enriched,
      static_cast<unsigned long long>(e->counter("queries_total")));
}

void bench_misses(PgServer& pg, int customers, int batch, int max_in_flight) {
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, "lookup_timeout: 1h\nttl: 1h\nquery_timeout: 1h\nmax_in_flight: " +
                                              std::to_string(max_in_flight)));
  e->start();
  // Wait for the session (a cached key costs nothing, an unknown one a query).
  if (!wait_until([&] { return e->gauge("connected") == 1; }, std::chrono::seconds(30))) {
    std::fprintf(stderr, "no session\n");
    std::exit(1);
  }
  std::vector<MetricBatch> batches;
  for (int first = 1; first <= customers; first += batch) {
    MetricBatch b;
    for (int i = first; i < first + batch && i <= customers; ++i) b.push_back(traffic(user(i)));
    batches.push_back(std::move(b));
  }
  size_t enriched = 0;
  Timing t = run_all(*e, std::move(batches), &enriched);
  std::printf(
      "100%% misses: %d metrics (%d distinct keys) in %.3f s = %.0f metrics/s wall, max_in_flight %d "
      "(agent CPU %.3f s; enriched %zu, queries %llu, timeouts %llu)\n",
      customers, customers, t.wall, customers / t.wall, max_in_flight, t.cpu, enriched,
      static_cast<unsigned long long>(e->counter("queries_total")),
      static_cast<unsigned long long>(e->counter("lookup_timeouts_total")));
}

}  // namespace

int main(int argc, char** argv) {
  const int customers = argc > 1 ? std::atoi(argv[1]) : 50000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 200;
  spdlog::set_level(spdlog::level::warn);
  PgServer pg;
  seed_customers(pg, customers);
  bench_warm(pg, customers, batch, rounds);
  bench_misses(pg, customers, batch, 256);
  bench_misses(pg, customers, batch, 1);
  return 0;
}
