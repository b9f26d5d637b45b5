// Output `webhook`: metrics and alert events to HTTP endpoints — JSON,
// Prometheus Alertmanager (API v2) or Mustache templates with chat presets —
// with keep-alive, TLS, Standard Webhooks / GitHub signatures, and the
// engine's retry driven by the HTTP answer (delivery.hpp). See README.md.
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/field.hpp>

#include "alertmanager.hpp"
#include "routerpulse/gzip.hpp"
#include "httpc/http_client.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "signing.hpp"
#include "template_format.hpp"
#include "webhook_config.hpp"

namespace routerpulse::webhook {
namespace {

namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class WebhookOutput final : public Output {
 public:
  static constexpr auto& options = kOptions;

  static void validate(const Options& o) { parse_settings(o); }

  WebhookOutput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        s_(parse_settings(o)),
        log_(ctx.log, ctx.clock, std::chrono::seconds(30)),
        endpoint_(ctx.health.sub("endpoint")),
        ok_(ctx.self_metrics.counter("requests_total", "HTTP requests by outcome", {{"outcome", "success"}})),
        retried_(ctx.self_metrics.counter("requests_total", "HTTP requests by outcome", {{"outcome", "retry"}})),
        rejected_(ctx.self_metrics.counter("requests_total", "HTTP requests by outcome", {{"outcome", "rejected"}})),
        errors_(ctx.self_metrics.counter("requests_total", "HTTP requests by outcome", {{"outcome", "error"}})),
        bytes_(ctx.self_metrics.counter("bytes_sent_total", "Request body bytes sent (after gzip)")),
        connections_(ctx.self_metrics.counter("connections_opened_total", "Connections (TCP, TLS) opened")),
        latency_(ctx.self_metrics.histogram("request_duration_seconds", "Time from sending a request to its answer")),
        disabled_gauge_(ctx.self_metrics.gauge("endpoint_disabled", "1 after the endpoint answered 410 Gone")),
        firing_(ctx.self_metrics.gauge("alerts_firing", "alertmanager: firing alerts being re-sent")),
        resends_(ctx.self_metrics.counter("alert_resends_total", "alertmanager: re-send rounds")),
        ignored_(ctx.self_metrics.counter("metrics_ignored_total", "alertmanager: metrics that are not alert events")),
        resend_timer_(ctx.clock.make_timer(ctx.strand)) {
    for (std::string* f : {&s_.tls.ca_file, &s_.tls.cert_file, &s_.tls.key_file})
      if (!f->empty()) *f = ctx.resolve_path(*f);
    method_ = s_.method == "PUT" ? http::verb::put : http::verb::post;
    if (s_.url.tls) tls_ = make_tls_context(s_.tls, o);
    if (s_.format == "template") {
      std::string text = s_.template_text;
      if (!s_.template_file.empty()) {
        const std::string path = ctx.resolve_path(s_.template_file);
        text = read_text(path);
        if (text.empty()) throw o.error("template_file", "cannot read " + path + " (or it is empty)");
      }
      try {
        template_ = std::make_unique<TemplateFormat>(s_.preset, text, s_.template_vars);
      } catch (const std::invalid_argument& e) {
        throw o.error(s_.template_file.empty() ? "template" : "template_file",
                      std::string("invalid Mustache template: ") + e.what());
      }
    }
    if (s_.format == "alertmanager")
      book_ = std::make_unique<AlertBook>(s_.resend_interval, s_.resolved_retention, s_.generator_url);
  }

  void start() override {
    client_ = std::make_shared<HttpClient>(
        ctx_.strand, ctx_.clock, ClientOptions{s_.url, tls_, s_.timeout, s_.max_connections, s_.idle_timeout, 1 << 20});
    if (book_) arm_resend();
  }

  void stop(std::function<void()> done) override {
    resend_timer_->cancel();
    if (client_) client_->close();
    client_.reset();
    done();
  }

  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    if (disabled_) return done(WriteResult::rejected(disabled_why_));
    if (!client_) return done(WriteResult::failure("not started"));
    std::vector<Message> msgs;
    if (s_.format == "json") {
      if (s_.batch) {
        std::string body = "[";
        for (size_t i = 0; i < batch.size(); ++i) {
          if (i) body.push_back(',');
          append_json(body, batch[i]);
        }
        body.push_back(']');
        msgs.push_back(Message{message_id(body), std::move(body)});
      } else {
        for (const Metric& m : batch) {
          std::string body = to_json(m);
          msgs.push_back(Message{message_id(body), std::move(body)});
        }
      }
    } else if (s_.format == "template") {
      if (s_.batch) {
        std::vector<const Metric*> all;
        std::string source;
        for (const Metric& m : batch) {
          all.push_back(&m);
          append_json(source, m);
        }
        msgs.push_back(Message{message_id(source), template_->render(all, true)});
      } else {
        for (const Metric& m : batch) msgs.push_back(Message{message_id(to_json(m)), template_->render({&m}, false)});
      }
    } else {
      size_t ignored = 0;
      std::string body = book_->apply(batch, ctx_.clock.now_ns(), ignored);
      ignored_.inc(ignored);
      firing_.set(static_cast<double>(book_->firing()));
      if (body.empty()) return done(WriteResult::success());
      std::string source;
      for (const Metric& m : batch) append_json(source, m);
      msgs.push_back(Message{message_id(source), std::move(body)});
      if (am_busy_) {  // one Alertmanager request at a time: a resend must not overtake a resolve
        am_waiting_ = [this, msgs = std::move(msgs), done = std::move(done)]() mutable {
          deliver(std::move(msgs), std::move(done));
        };
        return;
      }
    }
    deliver(std::move(msgs), std::move(done));
  }

 private:
  struct Message {
    std::string id, body;
  };
  struct Round {
    size_t pending = 0;
    bool gone = false, retry = false, rejected = false;
    std::string why;
    Duration retry_after{0};
    std::function<void(WriteResult)> done;
  };

  void deliver(std::vector<Message> msgs, std::function<void(WriteResult)> done) {
    auto round = std::make_shared<Round>();
    round->done = std::move(done);
    if (book_) am_busy_ = true;
    for (auto& m : msgs) {
      if (delivered_.count(m.id)) continue;  // sent before this batch was retried
      ++round->pending;
    }
    if (round->pending == 0) return finish(*round);
    for (auto& m : msgs) {
      if (delivered_.count(m.id)) continue;
      std::string id = m.id;
      send(std::move(m), [this, round, id = std::move(id)](const Classified& c) {
        if (c.verdict == Verdict::success) delivered_.insert(id);
        if (c.verdict == Verdict::gone) round->gone = true;
        if (c.verdict == Verdict::retry) {
          round->retry = true;
          round->retry_after = std::max(round->retry_after, c.retry_after);
        }
        if (c.verdict == Verdict::rejected) round->rejected = true;
        if (c.verdict != Verdict::success && (round->why.empty() || c.verdict == Verdict::gone)) round->why = c.why;
        if (--round->pending == 0) finish(*round);
      });
    }
  }

  void finish(Round& r) {
    WriteResult result = WriteResult::success();
    if (r.gone)
      result = WriteResult::rejected(r.why);
    else if (r.retry)
      result = r.retry_after > Duration::zero() ? WriteResult::retry_later(r.why, r.retry_after)
                                                : WriteResult::failure(r.why);
    else if (r.rejected)
      result = WriteResult::rejected(r.why);
    if (!r.retry || delivered_.size() > 100000) delivered_.clear();  // the batch is finished
    auto done = std::move(r.done);
    am_idle();
    done(std::move(result));
  }

  /// Sends one message; `then` gets the verdict on the strand.
  void send(Message m, std::function<void(const Classified&)> then) {
    Request req{method_, s_.url.target, 11};
    req.set(http::field::user_agent, "routerpulse/" ROUTERPULSE_VERSION);
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : s_.headers) req.set(k, v);
    const int64_t ts = ctx_.clock.now_ns() / 1000000000;
    req.set("webhook-id", m.id);
    req.set("webhook-timestamp", std::to_string(ts));
    if (s_.standard_key) req.set("webhook-signature", standard_signature(*s_.standard_key, m.id, ts, m.body));
    if (s_.github_secret) req.set("X-Hub-Signature-256", github_signature(*s_.github_secret, m.body));
    if (s_.gzip) {
      req.set(http::field::content_encoding, "gzip");
      req.body() = gzip_compress(m.body, 6);
    } else {
      req.body() = std::move(m.body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    bytes_.inc(req.body().size());
    const auto started = ctx_.clock.steady_now();
    const uint64_t opened_before = client_->connections_opened();
    client_->send(std::move(req), guard([this, started, opened_before, then = std::move(then)](HttpOutcome out) {
                    if (client_ && client_->connections_opened() > opened_before)
                      connections_.inc(client_->connections_opened() - opened_before);
                    latency_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - started).count());
                    const Classified c = classify(out, ctx_.clock.now_ns() / 1000000000);
                    account(out, c);
                    then(c);
                  }));
  }

  void account(const HttpOutcome& out, const Classified& c) {
    switch (c.verdict) {
      case Verdict::success:
        ok_.inc();
        if (!disabled_) endpoint_.set(HealthState::healthy);  // a request still in flight after a 410
        break;
      case Verdict::retry:
        (out.error.empty() ? retried_ : errors_).inc();
        if (!disabled_) endpoint_.set(HealthState::degraded, c.why);
        log_.log(spdlog::level::warn, "retry", "webhook to " + s_.url.host_header + " will be retried: " + c.why);
        break;
      case Verdict::rejected:
      case Verdict::gone: {
        rejected_.inc();
        rejected_status(out.status).inc();
        log_.log(spdlog::level::err, "rejected:" + std::to_string(out.status),
                 "webhook to " + s_.url.host_header + " rejected, not retried: " + c.why);
        if (c.verdict == Verdict::gone && !disabled_) {
          disabled_ = true;
          disabled_why_ = c.why;
          disabled_gauge_.set(1);
          endpoint_.set(HealthState::unhealthy, c.why);
          resend_timer_->cancel();
        }
        break;
      }
    }
  }

  Counter& rejected_status(int status) {
    auto it = rejected_by_status_.find(status);
    if (it != rejected_by_status_.end()) return *it->second;
    Counter& c = ctx_.self_metrics.counter("rejected_total", "Requests the endpoint refused for good (4xx), by status",
                                           {{"status", std::to_string(status)}});
    rejected_by_status_.emplace(status, &c);
    return c;
  }

  // --- alertmanager: periodic re-sends, one request at a time ---
  void arm_resend() {
    resend_timer_->arm(s_.resend_interval, [this] {
      if (am_busy_)
        resend_due_ = true;
      else
        resend();
      arm_resend();
    });
  }

  void resend() {
    if (!client_ || disabled_) return;
    std::string body = book_->resend(ctx_.clock.now_ns());
    firing_.set(static_cast<double>(book_->firing()));
    if (body.empty()) return;
    resends_.inc();
    am_busy_ = true;
    Message m{message_id(body), std::move(body)};
    send(std::move(m),
         [this](const Classified&) { am_idle(); });  // best effort, like Prometheus: the next round covers it
  }

  void am_idle() {
    if (!book_) return;
    am_busy_ = false;
    if (am_waiting_) {
      auto next = std::move(am_waiting_);
      am_waiting_ = nullptr;
      next();
    } else if (resend_due_) {
      resend_due_ = false;
      resend();
    }
  }

  PluginContext& ctx_;
  Settings s_;
  RateLimitedLog log_;
  HealthScope endpoint_;
  Counter &ok_, &retried_, &rejected_, &errors_, &bytes_, &connections_;
  Histogram& latency_;
  Gauge &disabled_gauge_, &firing_;
  Counter &resends_, &ignored_;
  std::map<int, Counter*> rejected_by_status_;
  std::unique_ptr<Timer> resend_timer_;
  http::verb method_ = http::verb::post;
  std::shared_ptr<ssl::context> tls_;
  std::shared_ptr<HttpClient> client_;
  std::unique_ptr<TemplateFormat> template_;
  std::unique_ptr<AlertBook> book_;
  std::unordered_set<std::string> delivered_;  ///< ids delivered while the current batch is retried
  bool disabled_ = false;
  std::string disabled_why_;
  bool am_busy_ = false, resend_due_ = false;
  std::function<void()> am_waiting_;
};

}  // namespace
}  // namespace routerpulse::webhook

ROUTERPULSE_PLUGIN(output, webhook, "Sends metrics and alerts to HTTP endpoints: JSON, Alertmanager, chat templates",
                   routerpulse::webhook::WebhookOutput)
