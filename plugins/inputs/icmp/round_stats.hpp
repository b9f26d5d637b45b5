// icmp — per-target statistics of one round, and the `icmp` metric built from them.
//
// Field names follow Telegraf's `inputs.ping` (packets_transmitted,
// packets_received, percent_packet_loss, minimum/average/maximum_response_ms,
// standard_deviation_ms, ttl); the additions are `up`, `jitter_ms`,
// `duplicates`, `icmp_errors` and `result_code` (Telegraf's meaning: 0 reply
// received, 1 no reply or name not resolved, 2 error such as no socket for
// the address family).
// - standard_deviation_ms is the population standard deviation (divide by n,
//   as Telegraf's native mode and pro-bing do).
// - jitter_ms is the mean absolute difference of consecutive RTTs in probe
//   order, skipping lost probes (the IPDV of RFC 3393 averaged over the
//   round); it needs at least two replies in the round.
//
// Threading: plain values and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "routerpulse/metric.hpp"

namespace routerpulse::icmp {

/// What one target got in one round. RTTs live outside (one slot per probe).
struct TargetTally {
  uint32_t transmitted = 0;  ///< probes whose fate is known (replied, timed out or failed to send)
  uint32_t received = 0;     ///< probes with a reply within `timeout` (duplicates excluded)
  uint32_t duplicates = 0;   ///< extra replies to a probe already answered
  uint32_t errors = 0;       ///< ICMP destination-unreachable / time-exceeded for our probes
  int ttl = -1;              ///< TTL / hop limit of the first reply
  bool send_failed = false;  ///< at least one probe could not be sent
};

/// RTT summary in milliseconds.
struct RttSummary {
  double min_ms = 0, avg_ms = 0, max_ms = 0, stddev_ms = 0, jitter_ms = 0;
  uint32_t n = 0;
  bool has_jitter = false;
};

/// `rtt_ns`: one entry per probe in probe order, negative = no reply.
RttSummary summarize(std::span<const int64_t> rtt_ns);

/// Fills `m` (name `icmp`, tags already set) with the fields for `t`.
void set_fields(Metric& m, const TargetTally& t, const RttSummary& s);

/// The fields of a target that could not be probed (`why`: e.g. the
/// resolution error) and the result code to report (1 or 2).
void set_unprobed_fields(Metric& m, const std::string& why, int result_code);

}  // namespace routerpulse::icmp
