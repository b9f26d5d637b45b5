// routeros_traffic — the input's read-only control API views
// (docs/CONTROL_API.md), registered through the SDK (routerpulse/api.hpp):
//
//   GET /api/v1/routers/{router}/sessions   PPPoE sessions the input tracks on
//       the router: user, interface, address, caller_id, uptime_seconds,
//       session_id, monitored (streamed live). 404 when no routeros_traffic
//       input tracks the router.
//   GET /api/v1/traffic?user=U[&router=R]   the latest streamed sample of the
//       customer on every router (or R) with its age; 404 when there is none.
//   GET /api/v1/traffic/stream?user=U1,U2[&router=R]  Server-Sent Events:
//       event `sample` with every new sample of those customers (JSON as
//       above), starting with the latest known one. At most
//       kMaxSubscribers streams at once (429 beyond); a client that falls
//       behind by more than kStreamQueueBytes is dropped.
//
// Several routeros_traffic instances share the routes: the first one to
// start registers them, the last one to stop removes them; a request looks
// at every running instance.
//
// Threading: start()/stop() on the input's strand. Handlers run on the HTTP
// server's strand: latest samples and subscriptions go straight to the
// thread-safe SampleSinks; the session list is built on the input's strand
// (posted, guarded) and answered from there.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "routerpulse/metric.hpp"

namespace routerpulse::routeros_traffic {

class TrafficInput;

/// At most this many SSE streams across all instances.
inline constexpr size_t kMaxSubscribers = 64;
/// Per stream: queued bytes beyond this drop the client.
inline constexpr size_t kStreamQueueBytes = 256 * 1024;

/// A pppoe_traffic sample as JSON: router, user, interface, caller_id,
/// time_ns, age_ms (against `now_ns`) and every pppoe_traffic field
/// (download_/upload_bits_per_second, …_packets_per_second, …; README.md).
std::string sample_json(const Metric& m, int64_t now_ns);

class TrafficApi {
 public:
  /// `input` owns the object and outlives it.
  explicit TrafficApi(TrafficInput& input);
  ~TrafficApi();
  /// Registers this instance (and the routes when it is the first).
  void start();
  /// Unregisters (and removes the routes when it was the last). Idempotent.
  void stop();

  struct Instance;

 private:
  TrafficInput& input_;
  std::shared_ptr<Instance> self_;
};

}  // namespace routerpulse::routeros_traffic
