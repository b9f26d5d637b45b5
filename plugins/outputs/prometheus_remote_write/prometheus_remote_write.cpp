// Output `prometheus_remote_write`: pushes metrics to any receiver of the
// Prometheus remote write 1.0 protocol (Prometheus with
// --web.enable-remote-write-receiver, Mimir, Cortex, Thanos Receive,
// VictoriaMetrics). Series naming is the `prometheus` output's
// (plugins/common/prom); the HTTP client, TLS and the answer classification
// are the webhook output's (plugins/common/httpc). See README.md.
//
// One write = the batch's requests (encoder.hpp) in `concurrency` lanes: each
// series belongs to one lane, a lane's requests are sent one after another
// (so every series' samples arrive in time order), lanes in parallel on up to
// `concurrency` keep-alive connections.
// Answers (spec "Retries & Backoff"; httpc/delivery.hpp):
//   2xx          → the request is delivered;
//   5xx, 429, 408, network errors, timeouts → no further request is started,
//                  the write fails once those in flight are answered, and the
//                  engine retries the batch with backoff (Retry-After honoured);
//                  requests already answered for good are not sent again;
//   other 4xx    → that request's samples are dropped and counted (e.g. 400
//                  "out of order sample"), never retried; the rest go on.
// The write is rejected (counted by the engine) only when every request of
// the batch was refused; a partly refused batch succeeds and the refused
// samples are in samples_rejected_total.
#include <functional>
#include <map>
#include <memory>
#include <unordered_set>

#include <boost/beast/http/field.hpp>

#include "encoder.hpp"
#include "httpc/delivery.hpp"
#include "httpc/http_client.hpp"
#include "remote_write_config.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"

namespace routerpulse::remote_write {
namespace {

namespace http = boost::beast::http;

EncoderOptions encoder_options(const Settings& s) {
  EncoderOptions e;
  e.external_labels = s.external_labels;
  e.base_units = s.base_units;
  e.max_samples_per_send = s.max_samples_per_send;
  e.lanes = s.concurrency;
  return e;
}

class RemoteWriteOutput final : public Output {
 public:
  static constexpr auto& options = kOptions;

  static void validate(const Options& o) { parse_settings(o); }

  RemoteWriteOutput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        s_(parse_settings(o)),
        encoder_(encoder_options(s_)),
        log_(ctx.log, ctx.clock, std::chrono::seconds(30)),
        endpoint_(ctx.health.sub("endpoint")),
        ok_(ctx.self_metrics.counter("requests_total", "Remote write requests by outcome", {{"outcome", "success"}})),
        retried_(
            ctx.self_metrics.counter("requests_total", "Remote write requests by outcome", {{"outcome", "retry"}})),
        rejected_(
            ctx.self_metrics.counter("requests_total", "Remote write requests by outcome", {{"outcome", "rejected"}})),
        errors_(ctx.self_metrics.counter("requests_total", "Remote write requests by outcome", {{"outcome", "error"}})),
        samples_sent_(ctx.self_metrics.counter("samples_sent_total", "Samples in requests the receiver accepted")),
        samples_rejected_(ctx.self_metrics.counter("samples_rejected_total",
                                                   "Samples in requests the receiver refused for good (4xx): dropped")),
        strings_(ctx.self_metrics.counter("string_fields_skipped_total",
                                          "String fields left out (remote write samples are numbers)")),
        bytes_(ctx.self_metrics.counter("bytes_sent_total", "Request body bytes sent (snappy compressed)")),
        connections_(ctx.self_metrics.counter("connections_opened_total", "Connections (TCP, TLS) opened")),
        latency_(ctx.self_metrics.histogram("request_duration_seconds", "Time from sending a request to its answer")),
        series_(ctx.self_metrics.gauge("series", "Distinct series the encoder knows")) {
    for (std::string* f : {&s_.tls.ca_file, &s_.tls.cert_file, &s_.tls.key_file})
      if (!f->empty()) *f = ctx.resolve_path(*f);
    if (s_.url.tls) tls_ = httpc::make_tls_context(s_.tls, o);
  }

  void start() override {
    client_ = std::make_shared<httpc::HttpClient>(
        ctx_.strand, ctx_.clock,
        httpc::ClientOptions{s_.url, tls_, s_.timeout, s_.concurrency, s_.idle_timeout, 1 << 20});
  }

  void stop(std::function<void()> done) override {
    if (client_) client_->close();
    client_.reset();
    done();
  }

  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    if (!client_) return done(WriteResult::failure("not started"));
    EncodeStats st;
    auto reqs = encoder_.encode(batch, ctx_.clock.now_ns(), st);
    strings_.inc(st.string_fields);
    series_.set(static_cast<double>(encoder_.series()));
    if (reqs.empty()) return done(WriteResult::success());
    auto round = std::make_shared<Round>();
    round->gen = ++gen_;  // a round the engine gave up on (write timeout) stops sending
    round->lanes.resize(s_.concurrency);
    for (size_t i = 0; i < reqs.size(); ++i) round->lanes[reqs[i].lane].push_back(i);
    round->pos.assign(s_.concurrency, 0);
    round->reqs = std::move(reqs);
    round->done = std::move(done);
    for (size_t lane = 0; lane < round->lanes.size(); ++lane) next(round, lane);
    if (round->in_flight == 0) finish(*round);  // nothing left to send (all delivered before)
  }

 private:
  struct Round {
    std::vector<EncodedRequest> reqs;
    std::vector<std::vector<size_t>> lanes;  ///< per lane: indices into reqs, in sending order
    std::vector<size_t> pos;                 ///< per lane: the next position in lanes[lane]
    size_t in_flight = 0, refused = 0;
    uint64_t gen = 0;
    bool retry = false;       ///< a request must be retried: start no more, fail the write
    Duration retry_after{0};  ///< the longest Retry-After of those
    std::string why;          ///< first retry reason, else first refusal
    std::function<void(WriteResult)> done;
  };

  /// Sends the lane's next request not answered for good before (if any).
  void next(const std::shared_ptr<Round>& r, size_t lane) {
    if (r->retry || r->gen != gen_ || !client_) return;
    auto& ids = r->lanes[lane];
    size_t& at = r->pos[lane];
    while (at < ids.size() && delivered_.count(std::hash<std::string>()(r->reqs[ids[at]].body))) ++at;
    if (at == ids.size()) return;
    EncodedRequest& req = r->reqs[ids[at]];
    const size_t id = std::hash<std::string>()(req.body);
    httpc::Request h{http::verb::post, s_.url.target, 11};
    h.set(http::field::user_agent, "routerpulse/" ROUTERPULSE_VERSION);
    h.set(http::field::content_type, "application/x-protobuf");
    h.set(http::field::content_encoding, "snappy");
    h.set("X-Prometheus-Remote-Write-Version", "0.1.0");
    if (!s_.authorization.empty()) h.set(http::field::authorization, s_.authorization);
    for (const auto& [k, v] : s_.headers) h.set(k, v);
    h.body() = req.body;  // kept in the round: a refused or failed request is accounted from it
    h.keep_alive(true);
    h.prepare_payload();
    bytes_.inc(h.body().size());
    ++r->in_flight;
    const auto started = ctx_.clock.steady_now();
    const uint64_t opened_before = client_->connections_opened();
    client_->send(std::move(h), guard([this, r, lane, id, started, opened_before](httpc::HttpOutcome out) {
                    if (client_ && client_->connections_opened() > opened_before)
                      connections_.inc(client_->connections_opened() - opened_before);
                    latency_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - started).count());
                    answered(r, lane, id, out);
                  }));
  }

  void answered(const std::shared_ptr<Round>& r, size_t lane, size_t id, const httpc::HttpOutcome& out) {
    --r->in_flight;
    const auto c = httpc::classify(out, ctx_.clock.now_ns() / 1000000000);
    const EncodedRequest& req = r->reqs[r->lanes[lane][r->pos[lane]]];
    switch (c.verdict) {
      case httpc::Verdict::success:
        ok_.inc();
        samples_sent_.inc(req.samples);
        endpoint_.set(HealthState::healthy);
        break;
      case httpc::Verdict::retry:
        (out.error.empty() ? retried_ : errors_).inc();
        endpoint_.set(HealthState::degraded, c.why);
        log_.log(spdlog::level::warn, "retry", "remote write to " + s_.url.host_header + " will be retried: " + c.why);
        if (!r->retry) r->why = c.why;
        r->retry = true;
        r->retry_after = std::max(r->retry_after, c.retry_after);
        break;
      case httpc::Verdict::rejected:
      case httpc::Verdict::gone:
        rejected_.inc();
        rejected_status(out.status).inc();
        samples_rejected_.inc(req.samples);
        if (r->why.empty()) r->why = c.why;
        ++r->refused;
        log_.log(spdlog::level::err, "rejected:" + std::to_string(out.status),
                 "remote write to " + s_.url.host_header + " refused " + std::to_string(req.samples) +
                     " samples, not retried: " + c.why);
        break;
    }
    if (c.verdict != httpc::Verdict::retry) {
      delivered_.insert(id);  // answered for good: not sent again when the batch is retried
      ++r->pos[lane];
      next(r, lane);
    }
    if (r->in_flight == 0) finish(*r);
  }

  /// Every lane is done, or stopped after a request to retry.
  void finish(Round& r) {
    if (!r.done) return;
    auto done = std::move(r.done);
    r.done = nullptr;
    if (r.gen != gen_ || !client_) return done(WriteResult::failure("stopped or superseded by a newer write"));
    if (r.retry)
      return done(r.retry_after > Duration::zero() ? WriteResult::retry_later(r.why, r.retry_after)
                                                   : WriteResult::failure(r.why));
    delivered_.clear();  // the batch is finished
    if (r.refused > 0 && r.refused == r.reqs.size()) return done(WriteResult::rejected(r.why));
    done(WriteResult::success());
  }

  Counter& rejected_status(int status) {
    auto it = rejected_by_status_.find(status);
    if (it != rejected_by_status_.end()) return *it->second;
    Counter& c = ctx_.self_metrics.counter("rejected_total", "Requests the receiver refused for good (4xx), by status",
                                           {{"status", std::to_string(status)}});
    rejected_by_status_.emplace(status, &c);
    return c;
  }

  PluginContext& ctx_;
  Settings s_;
  Encoder encoder_;
  RateLimitedLog log_;
  HealthScope endpoint_;
  Counter &ok_, &retried_, &rejected_, &errors_, &samples_sent_, &samples_rejected_, &strings_, &bytes_, &connections_;
  Histogram& latency_;
  Gauge& series_;
  std::map<int, Counter*> rejected_by_status_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<httpc::HttpClient> client_;
  uint64_t gen_ = 0;
  std::unordered_set<size_t> delivered_;  ///< requests of the current batch answered for good (kept across retries)
};

}  // namespace
}  // namespace routerpulse::remote_write

ROUTERPULSE_PLUGIN(output, prometheus_remote_write,
                   "Pushes metrics over Prometheus remote write 1.0 (Prometheus, Mimir, Thanos, VictoriaMetrics)",
                   routerpulse::remote_write::RemoteWriteOutput)
