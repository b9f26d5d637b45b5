// routeros_traffic — per-customer simple queues of ONE router (option
// `queues`): one `/queue/simple/print =stats=` with a `.proplist` per
// interval, each enabled queue matched to its customer (queue_match.hpp) and
// turned into a `customer_queue` metric.
//
// RouterOS prints every simple-queue value as an `upload/download` pair from
// the target's point of view (RouterOS manual, Queues → Simple: `max-limit`,
// `limit-at`, `burst-limit`, `rate`, `bytes`, `packets`, `dropped`,
// `queued-bytes`); the target is the customer, so the first value is the
// customer's upload and the second their download. Limits use the shared
// parsers (routerpulse/routeros/values.hpp: parse_ros_number_pair for
// `10M/50M`, parse_ros_uint_pair for counters); a limit of `0` is unlimited.
//
//   customer_queue (untyped: gauges and counters)
//     tags   router, queue (name), target (as printed), pppoe_user (when
//            matched to a PPPoE user), the static target's tags (when matched
//            to a static_targets entry; `router` and the tags above excluded)
//     fields download_limit_bps, upload_limit_bps           uint64, max-limit; absent when unlimited
//            download_limit_at_bps, upload_limit_at_bps     uint64, limit-at; absent when 0
//            download_burst_limit_bps, upload_burst_limit_bps  uint64, burst-limit; absent when 0
//            download_bps, upload_bps                       uint64, rate (bits/s, the router's average)
//            download_bytes, upload_bytes, download_packets, upload_packets,
//            download_dropped, upload_dropped                uint64 counters
//            download_queued_bytes, upload_queued_bytes     uint64 gauge
//            download_utilization, upload_utilization       double rate/limit; absent when unlimited
// A property that is absent or unparsable leaves its fields out and counts
// one errors_total{kind="parse"}. Disabled queues shape nothing and are
// skipped. Queues that disappear (PPPoE churn) simply stop being reported;
// the outputs expire their series (prometheus `expire_after`).
//
// Tag sets are built once per queue and reused while its `.id`, name, target
// and owner stay the same (a poll of 2,000 unchanged queues builds none).
//
// Threading: one per router, used on the input's strand only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pppoe_session.hpp"
#include "queue_match.hpp"
#include "queue_options.hpp"
#include "routerpulse/filter.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/routeros/sentence.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse {
struct PluginContext;
namespace targets {
class TargetList;
}
}  // namespace routerpulse

namespace routerpulse::routeros_traffic {

class QueuePoll {
 public:
  /// Pure: no self-metrics, no static target list yet (see attach()).
  QueuePoll(std::string router, const QueueOptions& opts);
  ~QueuePoll();

  /// Registers the per-router gauges and, when static targets are configured,
  /// reads them through a targets::TargetList shared by the input's routers
  /// (inline and file only; the file is re-read when it changes, checked at
  /// every poll with one stat(2)).
  void attach(PluginContext& ctx);
  /// Replaces the static target list (tests; attach() manages it otherwise).
  void set_static_targets(std::vector<targets::TargetSpec> list);

  /// The print to send each interval.
  static routeros::Command command();

  struct PollStats {
    size_t queues = 0;      ///< enabled queues in the reply
    size_t reported = 0;    ///< customer_queue metrics appended
    size_t unmatched = 0;   ///< enabled queues matched to no customer
    size_t bad_values = 0;  ///< unparsable properties (left out)
  };

  /// Turns one reply into customer_queue metrics appended to `out`, at
  /// `time_ns`. `sessions`: the router's active PPPoE sessions, nullptr when
  /// PPPoE sessions are not tracked. Queues not in `rows` are forgotten.
  PollStats process(const std::vector<routeros::Reply>& rows,
                    const std::unordered_map<std::string, PppoeSession>* sessions, int64_t time_ns, MetricBatch& out);

  /// Queues with a remembered tag set (tests).
  size_t cached() const noexcept { return cache_.size(); }

 private:
  struct Cached {
    std::string name, target, user;
    const targets::TargetSpec* static_target = nullptr;
    uint64_t static_version = 0;
    Metric prototype;  // name + tags, no fields
    uint64_t seen_round = 0;
  };
  const Metric& prototype(const std::string& id, std::string_view name, std::string_view target,
                          const QueueOwner& owner);
  bool selected(std::string_view name, const QueueOwner& owner) const;

  std::string router_;
  const QueueOptions& opts_;
  GlobList globs_;
  QueueMatcher matcher_;
  std::shared_ptr<targets::TargetList> list_;  // attach(), when static targets are configured; shared
  std::shared_ptr<const std::vector<targets::TargetSpec>> static_;  // the list in use
  uint64_t static_version_ = 0;
  std::unordered_map<std::string, Cached> cache_;  // by `.id`
  uint64_t round_ = 0;
  Gauge* reported_ = nullptr;
  Gauge* unmatched_ = nullptr;
};

}  // namespace routerpulse::routeros_traffic
