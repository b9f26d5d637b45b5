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

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <string>
#include <string_view>
#include <unordered_map>

#include "routerpulse/api.hpp"
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

  // ---- control API (any thread; traffic_api.hpp)
  /// The last sample of `iface` (kept while the interface is streamed), or nullopt.
  std::optional<Metric> latest(const std::string& iface) const;
  /// Every new sample of `iface` also goes to `stream` (as JSON, event
  /// `sample`) until the stream closes; survives the interface being dropped
  /// and re-added (a customer re-dialling, a router reconnecting).
  void watch(const std::string& iface, std::shared_ptr<EventStream> stream);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  /// Sends `m` to the SSE subscribers of `iface` (session strand).
  void publish(std::string_view iface, const Metric& m);

  Deps d_;
  mutable std::mutex mu_;
  struct Entry {
    Metric proto;  ///< name + tags
    Metric last;   ///< last sample (time 0 = none yet); assigned in place, so no allocation per row
  };
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> protos_;  // interface → prototype
  /// interface → SSE subscribers (control API); closed ones are pruned on send.
  std::unordered_map<std::string, std::vector<std::shared_ptr<EventStream>>, Hash, std::equal_to<>> watchers_;
  std::atomic<size_t> watched_{0};  ///< watchers_.size(), read without the lock on the hot path
  bool stopped_ = false;
  MetricBatch pending_;  // session strand only
};

}  // namespace routerpulse::routeros_traffic
