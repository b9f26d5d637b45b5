// routeros_traffic — streamed pppoe_traffic samples of one router, on the
// router's own strand (the zero-copy path).
//
// monitor-traffic answers once per second per interface: up to 100k rows/s
// for 50 routers × 2,000 PPPoE sessions. Rows arrive through the API
// session's on_row fast path (session.hpp StreamOptions::on_row): on the
// session's strand, as views into its read buffer. The sink turns each row
// into a pppoe_traffic metric — a copy of the interface's prototype (name
// and a shared TagSet: no tag is copied) plus eight fields with interned
// keys — and emits what one socket read produced as one batch when the read
// ends (natural batching: no timer, no added latency), or earlier at
// `batch_size`. Routers are on different strands, so all cores work.
//
// Threading: set/erase/stop are called on the input's strand; on_row and
// read_end on the router session's strand. The prototype map is guarded by
// a mutex (held per row only for the lookup and the prototype copy);
// `pending_` belongs to the session strand. The sink is held by shared_ptr by
// the input and by the stream callbacks, so a row that arrives while the
// input is being destroyed finds a valid (stopped) sink.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "routerpulse/clock.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/routeros/sentence.hpp"
#include "routerpulse/stats.hpp"
#include "traffic_options.hpp"

namespace routerpulse::routeros_traffic {

class SampleSink {
 public:
  struct Deps {
    std::function<void(MetricBatch&&)> emit;  ///< ctx.emit: thread-safe, never blocks
    Clock& clock;                             ///< arrival time of rows
    Counter& samples;                         ///< rows turned into metrics
    Counter& parse_errors;                    ///< rows without `name` or with a bad number
    Histogram& delay;                         ///< routeros-sim send time → arrival (seconds)
    SampleTime sample_time = SampleTime::arrival;
    size_t batch_size = 5000;  ///< emit before the read ends when this many are pending
  };
  explicit SampleSink(Deps deps);

  /// Input strand: rows for `iface` become metrics like `prototype`
  /// (name, type, tags; its fields are ignored).
  void set(const std::string& iface, const Metric& prototype);
  /// Input strand: rows for `iface` are ignored from now on.
  void erase(const std::string& iface);
  /// Input strand: forget every interface and ignore every later row.
  void stop();

  /// Session strand: one monitor-traffic `!re`.
  void on_row(const routeros::RowView& row);
  /// Session strand: the socket read ended; emit what is pending.
  void read_end();
  size_t pending() const noexcept { return pending_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  Deps d_;
  std::mutex mu_;
  std::unordered_map<std::string, Metric, Hash, std::equal_to<>> protos_;  // interface → prototype
  bool stopped_ = false;
  MetricBatch pending_;  // session strand only
};

}  // namespace routerpulse::routeros_traffic
