// bench/routeros_traffic: reads the `file` output's line protocol from stdin
// (a FIFO) and measures, per pppoe_traffic line, now − metric time. With the
// input's `sample_time: sender` the metric time is the simulator's send time
// (`=.sim-sent-ns=`), so this is the latency from simulator send to output
// write (the reader sees a line as soon as the output's write(2) returns).
//
// Usage: latency_reader SKIP_SECONDS MEASURE_SECONDS < fifo
// Prints one line: count, p50, p90, p99, max in milliseconds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {
int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
double pct(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SKIP_SECONDS MEASURE_SECONDS < line-protocol\n", argv[0]);
    return 2;
  }
  const int64_t start = wall_ns();
  const int64_t from = start + static_cast<int64_t>(std::atof(argv[1]) * 1e9);
  const int64_t until = from + static_cast<int64_t>(std::atof(argv[2]) * 1e9);
  std::ios::sync_with_stdio(false);
  std::vector<int64_t> lat;
  lat.reserve(8000000);
  std::string line;
  uint64_t lines = 0;
  while (std::getline(std::cin, line)) {
    const int64_t now = wall_ns();
    if (now > until) break;
    ++lines;
    if (now < from || line.compare(0, 14, "pppoe_traffic,") != 0) continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    const int64_t t = std::strtoll(line.c_str() + sp + 1, nullptr, 10);
    if (t > 0) lat.push_back(now - t);
  }
  const double secs = static_cast<double>(std::min(wall_ns(), until) - from) / 1e9;
  std::vector<int64_t>& v = lat;
  std::printf("samples=%zu rate_per_s=%.0f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f lines_total=%llu\n",
              v.size(), secs > 0 ? static_cast<double>(v.size()) / secs : 0.0, pct(v, 0.5), pct(v, 0.9), pct(v, 0.99),
              v.empty() ? 0.0 : static_cast<double>(*std::max_element(v.begin(), v.end())) / 1e6,
              static_cast<unsigned long long>(lines));
  // Keep draining so the agent's output never blocks on a full pipe while it is stopped.
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
