// prometheus_remote_write against a scripted HTTP receiver (the webhook
// tests' receiver.py, Python stdlib: it logs every request and answers from a
// plan): the spec's headers and bearer auth arrive; 503 with Retry-After and
// 429 are retried (not permanent, the delay passed to the engine); when a
// batch's second request fails, the engine's retry of the batch sends only
// that request again — the first one was delivered already.
#include <catch2/catch.hpp>

#include "receiver_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

MetricBatch four_series() {
  MetricBatch b;
  for (int i = 1; i <= 4; ++i) {
    Metric m("icmp", routerpulse::now_ns());
    m.set_tag("target", "10.0.0." + std::to_string(i)).set_field("rtt_seconds", 0.001 * i);
    b.push_back(m);
  }
  return b;
}

}  // namespace

TEST_CASE("remote_write_answers: headers, 503/429 retried, delivered requests not sent again", "[remote_write]") {
  TempDir dir;
  Receiver rx(dir);
  rx.plan(json::array({{{"status", 200}}, {{"status", 503}, {"retry_after", "1"}, {"body", "busy"}}}));
  Harness h;
  auto c = h.create(PluginKind::output, "prometheus_remote_write",
                    "url: " + rx.url() +
                        "\nmax_samples_per_send: 2\nbearer_token: t0ken\n"
                        "headers: {X-Scope-OrgID: isp}\n");
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  auto& out = dynamic_cast<Output&>(*c);
  const MetricBatch b = four_series();  // 4 samples: two requests of 2

  auto r = h.write(out, ctx, b, 20s);
  REQUIRE(r);
  CHECK(!r->ok);
  CHECK(!r->permanent);
  CHECK(r->retry_after == 1s);
  CHECK_THAT(r->error, Contains("HTTP 503: busy"));
  r = h.write(out, ctx, b, 20s);  // the engine retries the same batch
  REQUIRE(r);
  CHECK(r->ok);

  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]["status"] == 200);
  CHECK(reqs[1]["status"] == 503);
  CHECK(reqs[2]["status"] == 200);
  CHECK(reqs[2]["body"] == reqs[1]["body"]);  // only the failed request again
  CHECK(reqs[0]["body"] != reqs[1]["body"]);
  for (auto& q : reqs) {
    CHECK(q["method"] == "POST");
    CHECK(q["headers"]["content-encoding"] == "snappy");
    CHECK(q["headers"]["content-type"] == "application/x-protobuf");
    CHECK(q["headers"]["x-prometheus-remote-write-version"] == "0.1.0");
    CHECK(q["headers"]["authorization"] == "Bearer t0ken");
    CHECK(q["headers"]["x-scope-orgid"] == "isp");
  }

  // 429 without Retry-After: retried with the engine's own backoff.
  rx.plan(json::array({{{"status", 429}}}));
  r = h.write(out, ctx, b, 20s);
  REQUIRE(r);
  CHECK(!r->ok);
  CHECK(!r->permanent);
  CHECK(r->retry_after == Duration::zero());
  std::string text;
  h.stats.write_prometheus(text);
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write\",outcome=\"retry\"} 2\n"));
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write\",outcome=\"success\"} 2\n"));
  CHECK_THAT(text, Contains("samples_sent_total{output=\"prometheus_remote_write\"} 4\n"));
  CHECK_THAT(text, Contains("connections_opened_total{output=\"prometheus_remote_write\"} 1\n"));  // keep-alive
  h.stop(*c, ctx);
}
