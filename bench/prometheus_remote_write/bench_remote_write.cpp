// Benchmark: samples/s the prometheus_remote_write output pushes and the CPU
// it spends per sample, for demo-shaped metrics (routeros_traffic's
// pppoe_traffic: 4 tags, 8 uint64 fields = 8 samples per metric, one shared
// TagSet per session as the input builds them).
//
//   encode      Encoder::encode alone (protobuf + snappy), this thread's CPU
//   null        the plugin (test harness, one write in flight, the next from the
//               previous completion, as the engine's output runner does) to a
//               minimal HTTP/1.1 receiver in a CHILD process (Beast, answers
//               204): this process' CPU is the output's cost, the receiver's
//               is not counted
//   (each also with concurrency: 4 — four ordered lanes in parallel)
//   prometheus  the same to a real Prometheus (--web.enable-remote-write-receiver,
//               own TSDB in /tmp, loopback port): the agent side's CPU and
//               Prometheus' CPU (from /proc/<pid>/stat) per sample
//
// Batches are built before the clock starts (metrics keep their TagSets), so
// the CPU is the output's, not the metric building's. Prints Markdown rows;
// records nothing by itself.
//
// Build: cmake --build <build> --target bench_remote_write
// Run:   bench/prometheus_remote_write/run.sh <build>
//        (env: RP_BENCH_SESSIONS, default 5000; RP_BENCH_ROUNDS, default 40)
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "../bench_util.hpp"
#include "encoder.hpp"
#include "harness.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Seconds of CPU (user + system) a process used, from /proc/<pid>/stat.
double proc_cpu(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// A receiver in a child process: answers every request 204, keep-alive.
int fork_null_receiver(int& child) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  child = fork();
  if (child == 0) {
    boost::asio::io_context io;
    tcp::acceptor acc(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    const int port = acc.local_endpoint().port();
    if (write(fds[1], &port, sizeof port) != sizeof port) _exit(1);
    for (;;) {
      tcp::socket s(io);
      acc.accept(s);
      std::thread([s = std::move(s)]() mutable {
        boost::beast::flat_buffer buf;
        for (;;) {
          http::request<http::string_body> req;
          boost::system::error_code ec;
          http::read(s, buf, req, ec);
          if (ec) return;
          http::response<http::empty_body> res{http::status::no_content, 11};
          res.keep_alive(req.keep_alive());
          http::write(s, res, ec);
          if (ec) return;
        }
      }).detach();
    }
  }
  int port = 0;
  if (read(fds[0], &port, sizeof port) != sizeof port) std::abort();
  return port;
}

const Key kFields[] = {"download_bits_per_second",   "upload_bits_per_second",    "download_packets_per_second",
                       "upload_packets_per_second",  "download_drops_per_second", "upload_drops_per_second",
                       "download_errors_per_second", "upload_errors_per_second"};

/// `rounds` rounds of every session, times `step_ms` apart from `t0_ns`.
std::vector<MetricBatch> build(size_t sessions, size_t rounds, size_t batch_size, int64_t t0_ns) {
  std::vector<Metric> proto;
  for (size_t i = 0; i < sessions; ++i) {
    Metric m("pppoe_traffic", 0, MetricType::gauge);
    const std::string user = "cust-" + std::to_string(i);
    m.set_tag("router", "pop1-r" + std::to_string(i % 3 + 1)).set_tag("pppoe_user", user);
    m.set_tag("interface", "<pppoe-" + user + ">").set_tag("caller_id", "AA:BB:CC:00:" + std::to_string(i % 100));
    proto.push_back(std::move(m));
  }
  std::vector<MetricBatch> out;
  MetricBatch b;
  for (size_t r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < sessions; ++i) {
      Metric m = proto[i];
      m.set_time(t0_ns + static_cast<int64_t>(r) * 1000000000);  // one round a second
      for (size_t f = 0; f < 8; ++f) m.set_field(kFields[f], uint64_t{1000 * r + f * 7 + i});
      b.push_back(std::move(m));
      if (b.size() == batch_size) out.push_back(std::exchange(b, {}));
    }
  }
  if (!b.empty()) out.push_back(std::move(b));
  return out;
}

void encode_only(size_t sessions, size_t rounds) {
  auto batches = build(sessions, rounds, 1000, 1764650000000000000);
  remote_write::EncoderOptions eo;
  eo.external_labels = {{"pop", "pop1"}};
  remote_write::Encoder enc(eo);  // defaults: 2000 samples per request, one lane
  remote_write::EncodeStats st;
  size_t bytes = 0, raw = 0;
  // The first round binds every series (cache misses); measure it separately.
  const size_t first = (sessions + 999) / 1000;
  double c0 = thread_cpu();
  for (size_t i = 0; i < first && i < batches.size(); ++i) enc.encode(batches[i], 0, st);
  const double miss_cpu = thread_cpu() - c0;
  const size_t miss_samples = st.samples;
  c0 = thread_cpu();
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = first; i < batches.size(); ++i)
    for (auto& r : enc.encode(batches[i], 0, st)) {
      bytes += r.body.size();
      raw += r.raw_bytes;
    }
  const double cpu = thread_cpu() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t n = st.samples - miss_samples;
  std::printf("| encode (protobuf + snappy), cached series | %zu | %.0f | %.3f | %.1f bytes (raw %.1f) | — |\n", n,
              n / wall, cpu / n * 1e6, static_cast<double>(bytes) / n, static_cast<double>(raw) / n);
  std::printf("| encode, first sight of each series (cache miss) | %zu | — | %.3f | — | — |\n", miss_samples,
              miss_cpu / miss_samples * 1e6);
}

void push(const char* label, const std::string& url, const std::string& extra, size_t sessions, size_t rounds,
          int receiver_pid, int64_t t0_ns) {
  auto batches = build(sessions, rounds, 5000, t0_ns);
  Harness h;
  auto c = h.create(PluginKind::output, "prometheus_remote_write",
                    "url: " + url + "\nexternal_labels: {pop: pop1}\ntimeout: 60s\n" + extra);
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  auto& out = dynamic_cast<Output&>(*c);
  size_t failed = 0;
  const double cpu0 = bench::cpu_seconds(), rcpu0 = receiver_pid > 0 ? proc_cpu(receiver_pid) : 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& b : batches) {
    auto r = h.write(out, ctx, b, std::chrono::seconds(60));
    if (!r || !r->ok) {
      ++failed;
      if (r && failed == 1) std::fprintf(stderr, "%s: %s\n", label, r->error.c_str());
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::cpu_seconds() - cpu0, rcpu = receiver_pid > 0 ? proc_cpu(receiver_pid) - rcpu0 : 0;
  const size_t samples = sessions * rounds * 8;
  char rbuf[64] = "—";
  if (receiver_pid > 0) std::snprintf(rbuf, sizeof rbuf, "%.2f", rcpu / samples * 1e6);
  std::printf("| %s | %zu | %.0f | %.3f | %zu failed writes | %s |\n", label, samples, samples / wall,
              cpu / samples * 1e6, failed, rbuf);
  h.stop(*c, ctx);
}

}  // namespace

int main() {
  const size_t sessions = std::getenv("RP_BENCH_SESSIONS") ? std::atoi(std::getenv("RP_BENCH_SESSIONS")) : 5000;
  const size_t rounds = std::getenv("RP_BENCH_ROUNDS") ? std::atoi(std::getenv("RP_BENCH_ROUNDS")) : 40;
  int child = 0;
  const int null_port = fork_null_receiver(child);  // before any thread of ours

  std::printf("%zu sessions x 8 fields = %zu series, %zu rounds\n\n", sessions, sessions * 8, rounds);
  std::printf("| case | samples | samples/s | agent CPU µs/sample | body / notes | receiver CPU µs/sample |\n");
  std::printf("|---|---|---|---|---|---|\n");
  encode_only(sessions, rounds);
  const std::string null_url = "http://127.0.0.1:" + std::to_string(null_port) + "/api/v1/write";
  push("output → null receiver (child process)", null_url, "", sessions, rounds, 0, 1764650000000000000);
  push("output → null receiver, concurrency: 4", null_url, "concurrency: 4\n", sessions, rounds, 0,
       1764650000000000000);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  TempDir dir;
  std::ofstream(dir.file("prometheus.yml")) << "global:\n  evaluation_interval: 1m\n";
  const int port = free_port();
  Process prom({"prometheus", "--config.file=" + dir.file("prometheus.yml"), "--storage.tsdb.path=" + dir.file("data"),
                "--web.enable-remote-write-receiver", "--web.listen-address=127.0.0.1:" + std::to_string(port),
                "--log.level=warn"},
               dir.file("prometheus.log"));
  if (!wait_for_port(port, std::chrono::seconds(60))) return 1;
  std::this_thread::sleep_for(std::chrono::seconds(2));  // TSDB ready (not an assertion: a benchmark warm-up)
  // Samples from a few minutes ago, one round a second: in order and inside Prometheus' head block.
  // The second run continues the same series right after the first one's rounds.
  const int64_t t0 = (routerpulse::now_ns() / 1000000000 - 2 * static_cast<int64_t>(rounds) - 60) * 1000000000;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
  push("output → Prometheus 2.42 (real TSDB)", url, "", sessions, rounds, prom.pid(), t0);
  push("output → Prometheus 2.42, concurrency: 4", url, "concurrency: 4\n", sessions, rounds, prom.pid(),
       t0 + static_cast<int64_t>(rounds) * 1000000000);
  return 0;
}
