#include "round_stats.hpp"

#include <cmath>
#include <cstdlib>

namespace routerpulse::icmp {
namespace {

const Key kTransmitted("packets_transmitted");
const Key kReceived("packets_received");
const Key kLoss("percent_packet_loss");
const Key kMin("minimum_response_ms");
const Key kAvg("average_response_ms");
const Key kMax("maximum_response_ms");
const Key kStddev("standard_deviation_ms");
const Key kJitter("jitter_ms");
const Key kTtl("ttl");
const Key kUp("up");
const Key kDuplicates("duplicates");
const Key kErrors("icmp_errors");
const Key kResultCode("result_code");
const Key kError("error");

}  // namespace

RttSummary summarize(std::span<const int64_t> rtt_ns) {
  RttSummary s;
  double sum = 0, sumsq = 0, jsum = 0;
  int64_t lo = 0, hi = 0, prev = -1;
  uint32_t jn = 0;
  for (int64_t r : rtt_ns) {
    if (r < 0) continue;
    if (s.n == 0 || r < lo) lo = r;
    if (s.n == 0 || r > hi) hi = r;
    double ms = static_cast<double>(r) / 1e6;
    sum += ms;
    sumsq += ms * ms;
    ++s.n;
    if (prev >= 0) {
      jsum += std::abs(static_cast<double>(r - prev)) / 1e6;
      ++jn;
    }
    prev = r;
  }
  if (s.n == 0) return s;
  s.min_ms = static_cast<double>(lo) / 1e6;
  s.max_ms = static_cast<double>(hi) / 1e6;
  s.avg_ms = sum / s.n;
  double var = sumsq / s.n - s.avg_ms * s.avg_ms;
  s.stddev_ms = var > 0 ? std::sqrt(var) : 0.0;
  if (jn > 0) {
    s.jitter_ms = jsum / jn;
    s.has_jitter = true;
  }
  return s;
}

void set_fields(Metric& m, const TargetTally& t, const RttSummary& s) {
  // Fields in key order: every set_field is an append.
  m.reserve(0, 13);
  const bool any = s.n > 0;
  if (any) m.set_field(kAvg, s.avg_ms);
  m.set_field(kDuplicates, static_cast<int64_t>(t.duplicates));
  m.set_field(kErrors, static_cast<int64_t>(t.errors));
  if (any && s.has_jitter) m.set_field(kJitter, s.jitter_ms);
  if (any) m.set_field(kMax, s.max_ms);
  if (any) m.set_field(kMin, s.min_ms);
  m.set_field(kReceived, static_cast<int64_t>(t.received));
  m.set_field(kTransmitted, static_cast<int64_t>(t.transmitted));
  double loss = t.transmitted ? 100.0 * (t.transmitted - t.received) / t.transmitted : 100.0;
  m.set_field(kLoss, loss);
  m.set_field(kResultCode, static_cast<int64_t>(t.received > 0 ? 0 : (t.send_failed ? 2 : 1)));
  if (any) m.set_field(kStddev, s.stddev_ms);
  if (t.ttl >= 0) m.set_field(kTtl, static_cast<int64_t>(t.ttl));
  m.set_field(kUp, t.received > 0);
}

void set_unprobed_fields(Metric& m, const std::string& why, int result_code) {
  m.reserve(0, 8);
  m.set_field(kDuplicates, int64_t{0});
  m.set_field(kError, why);
  m.set_field(kErrors, int64_t{0});
  m.set_field(kReceived, int64_t{0});
  m.set_field(kTransmitted, int64_t{0});
  m.set_field(kLoss, 100.0);
  m.set_field(kResultCode, static_cast<int64_t>(result_code));
  m.set_field(kUp, false);
}

}  // namespace routerpulse::icmp
