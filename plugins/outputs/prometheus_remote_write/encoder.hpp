// prometheus_remote_write — a batch of metrics → remote write 1.0 request
// bodies (protobuf WriteRequest from remote_write.proto, snappy block
// compressed), per https://prometheus.io/docs/specs/remote_write_spec/
// ("Protocol"):
//
//  - every numeric field of a metric is one sample of the series named and
//    labelled by the shared Prometheus mapping (plugins/common/prom: the same
//    series the `prometheus` output exposes), plus `__name__` and the
//    external labels that the series does not carry itself; labels are sorted
//    by name (the spec's MUST); string fields are skipped and counted;
//  - timestamps are the metric's time in milliseconds since the Unix epoch
//    (floor of the nanoseconds);
//  - samples of one series are grouped into one TimeSeries per request,
//    oldest first (metrics with the same time keep their batch order); the
//    samples of a batch are cut into requests of at most
//    `max_samples_per_send` samples, in series order, so a series' samples
//    span consecutive requests in time order — sent one after another they
//    reach the receiver in order (the spec's per-series ordering rule);
//  - with `lanes` > 1 every series belongs to one lane (its index modulo
//    `lanes`, like Prometheus' shards) and each request carries series of one
//    lane only: lanes may be sent in parallel, the requests of a lane in order.
//
// Cost: a series is bound once per (TagSet, metric name, type, field key): its
// labels are rendered and looked up by content, so TagSets that render alike
// share one series. Later metrics cost one hash lookup (TagSet pointer, name,
// type) and a short scan of that entry's fields by interned Key pointer. One
// WriteRequest is kept and cleared between requests, so its TimeSeries,
// Label and Sample objects and their strings are reused, not reallocated.
// The cache holds a reference to each TagSet it keys on; when it exceeds
// `max_cached_series` bindings it is emptied before the next batch (and
// rebuilt on demand).
//
// Threading: not thread-safe; the output uses it on its strand only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "routerpulse/batch_view.hpp"

namespace routerpulse::rwpb {
class WriteRequest;
}

namespace routerpulse::remote_write {

struct EncoderOptions {
  /// Added to every series that lacks the name; names already valid.
  std::vector<std::pair<std::string, std::string>> external_labels;
  bool base_units = true;              ///< as the prometheus output's option
  size_t max_samples_per_send = 2000;  ///< > 0
  size_t lanes = 1;                    ///< > 0: requests that may be in flight together
  size_t max_cached_series = 1000000;
};

/// One request body and what it carries.
struct EncodedRequest {
  std::string body;      ///< snappy block format of the serialized WriteRequest
  size_t samples = 0;    ///< samples in it
  size_t series = 0;     ///< TimeSeries in it
  size_t raw_bytes = 0;  ///< serialized size before compression
  size_t lane = 0;       ///< < EncoderOptions::lanes; a lane's requests are in sending order
};

struct EncodeStats {
  size_t samples = 0;        ///< numeric field values encoded
  size_t string_fields = 0;  ///< string fields left out
};

class Encoder {
 public:
  explicit Encoder(EncoderOptions opt);
  ~Encoder();

  /// Encodes `batch` (metrics without a time get `now_ns`). Returns the
  /// requests in sending order (none when the batch has no numeric field).
  std::vector<EncodedRequest> encode(const BatchView& batch, int64_t now_ns, EncodeStats& stats);

  /// Distinct series known (label sets), for a self-metric.
  size_t series() const noexcept { return series_.size(); }

 private:
  struct Point {
    uint32_t lane;
    uint32_t series;
    int64_t time_ms;
    double value;
  };
  /// A metric's identity up to its fields.
  struct MetricKey {
    const void* tags;  ///< TagList address (held by the entry)
    std::string name;  ///< metric name
    int type;
    bool operator==(const MetricKey&) const = default;
  };
  struct KeyHash {
    size_t operator()(const MetricKey& k) const noexcept;
  };
  struct FieldBinding {
    const char* field;  ///< interned Key text address
    uint32_t series;
    double factor;
  };
  struct Entry {
    TagSet hold;  ///< keeps `tags` from being reused while cached
    std::vector<FieldBinding> fields;
  };
  struct Series {
    std::vector<std::pair<std::string, std::string>> labels;  ///< sorted, __name__ included
  };

  Entry& entry(const Metric& m);
  const FieldBinding& bind(Entry& e, const Metric& m, const Key& field);

  EncoderOptions opt_;
  std::unordered_map<MetricKey, Entry, KeyHash> entries_;
  size_t bindings_ = 0;
  std::unordered_map<std::string, uint32_t> by_labels_;  ///< label signature → series
  std::vector<Series> series_;
  std::vector<Point> points_;                ///< scratch, reused across batches
  MetricKey probe_;                          ///< scratch lookup key (keeps its name buffer)
  std::unique_ptr<rwpb::WriteRequest> req_;  ///< reused: cleared, not freed, between requests
};

}  // namespace routerpulse::remote_write
