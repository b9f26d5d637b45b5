// Pure parts of the webhook output: URL, signatures (Standard Webhooks test
// vector), answer classification, Retry-After, gzip, the Alertmanager and
// template formats, and option errors with file:line:col.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <boost/beast/zlib/inflate_stream.hpp>

#include "alertmanager.hpp"
#include "routerpulse/gzip.hpp"
#include "harness.hpp"
#include "httpc/delivery.hpp"
#include "httpc/url.hpp"
#include "signing.hpp"
#include "template_format.hpp"

using namespace routerpulse;
using namespace routerpulse::webhook;
using namespace routerpulse::httpc;
using Catch::Matchers::Contains;

TEST_CASE("webhook_url: http, https, ports, IPv6, refusals", "[webhook]") {
  std::string err;
  auto u = parse_url("http://am:9093/api/v2/alerts", err);
  REQUIRE(u);
  CHECK(!u->tls);
  CHECK(u->host == "am");
  CHECK(u->port == "9093");
  CHECK(u->target == "/api/v2/alerts");
  CHECK(u->host_header == "am:9093");
  u = parse_url("https://api.telegram.org/bot123:abc/sendMessage?x=1", err);
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->port == "443");
  CHECK(u->target == "/bot123:abc/sendMessage?x=1");
  CHECK(u->host_header == "api.telegram.org");
  u = parse_url("http://[::1]:8080", err);
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->target == "/");
  CHECK(u->host_header == "[::1]:8080");
  CHECK(parse_url("http://h:80/x", err)->host_header == "h");
  CHECK(!parse_url("ftp://x/", err));
  CHECK(err == "expected http://host[:port]/path or https://…");
  CHECK(!parse_url("http://u:p@x/", err));
  CHECK_THAT(err, Contains("credentials in the URL"));
  CHECK(!parse_url("http://x:99999/", err));
  CHECK(err == "the port must be 1..65535");
  CHECK(!parse_url("http:///x", err));
}

TEST_CASE("webhook_signing: the Standard Webhooks test vector and GitHub's format", "[webhook]") {
  // standard-webhooks libraries/python/tests/test_webhooks.py, test_sign_function.
  std::string err;
  auto key = decode_standard_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", err);
  REQUIRE(key);
  CHECK(standard_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(*decode_standard_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", err) == *key);
  CHECK(!decode_standard_secret("whsec_!!!", err));
  CHECK(err == "the secret after whsec_ must be base64");
  CHECK(!decode_standard_secret("whsec_c2hvcnQ=", err));
  CHECK_THAT(err, Contains("too short"));
  // GitHub's documented example (docs "Validating webhook deliveries").
  CHECK(github_signature("It's a Secret to Everybody", "Hello, World!") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(message_id("a") == message_id("a"));
  CHECK(message_id("a") != message_id("b"));
  CHECK(message_id("a").size() == 36);
  CHECK(message_id("a").find('.') == std::string::npos);
  CHECK(base64_encode("hi!") == "aGkh");
  CHECK(*base64_decode("aGk") == "hi");
}

TEST_CASE("webhook_delivery: what each answer means", "[webhook]") {
  auto c = classify({"", 204, "", ""}, 0);
  CHECK(c.verdict == Verdict::success);
  c = classify({"connecting to h:1: Connection refused", 0, "", ""}, 0);
  CHECK(c.verdict == Verdict::retry);
  CHECK(c.why == "connecting to h:1: Connection refused");
  for (int s : {408, 425, 429, 500, 502, 503, 504}) CHECK(classify({"", s, "", ""}, 0).verdict == Verdict::retry);
  c = classify({"", 503, "busy", "7"}, 0);
  CHECK(c.retry_after == std::chrono::seconds(7));
  CHECK(c.why == "HTTP 503: busy");
  for (int s : {400, 401, 403, 404, 413, 422, 301}) CHECK(classify({"", s, "", ""}, 0).verdict == Verdict::rejected);
  CHECK_THAT(classify({"", 302, "", ""}, 0).why, Contains("redirects are not followed"));
  CHECK(classify({"", 410, "", ""}, 0).verdict == Verdict::gone);
  // Telegram and Discord put the delay in the body.
  c = classify({"", 429, R"({"ok":false,"error_code":429,"parameters":{"retry_after":3}})", ""}, 0);
  CHECK(c.retry_after == std::chrono::seconds(3));
  c = classify({"", 429, R"({"message":"rate limited","retry_after":0.5})", ""}, 0);
  CHECK(c.retry_after == std::chrono::milliseconds(500));
}

TEST_CASE("webhook_retry_after: seconds, HTTP-date, cap, garbage", "[webhook]") {
  CHECK(parse_retry_after("120", 0) == Duration(std::chrono::seconds(120)));
  CHECK(parse_retry_after("99999999", 0) == Duration(std::chrono::hours(1)));
  // 1445412480 = Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30) == Duration(std::chrono::seconds(30)));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30) == Duration(0));
  CHECK(!parse_retry_after("soon", 0));
  CHECK(!parse_retry_after("", 0));
  CHECK(excerpt(std::string(300, 'x')).size() == 200 + std::string("…").size());
  CHECK(excerpt("a\nb") == "a b");
}

TEST_CASE("webhook_gzip: a valid gzip member that inflates back", "[webhook]") {
  std::string data;
  for (int i = 0; i < 2000; ++i) data += "{\"name\":\"alert\",\"n\":" + std::to_string(i) + "}";
  const std::string z = gzip_compress(data, 6);
  REQUIRE(z.size() > 18);
  CHECK(z.size() < data.size() / 4);
  CHECK(static_cast<unsigned char>(z[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(z[1]) == 0x8b);
  boost::beast::zlib::inflate_stream is;
  std::string out(data.size() + 16, '\0');
  boost::beast::zlib::z_params zs;
  zs.next_in = z.data() + 10;
  zs.avail_in = z.size() - 18;
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  is.write(zs, boost::beast::zlib::Flush::finish, ec);
  out.resize(zs.total_out);
  CHECK(out == data);
  const uint32_t isize = static_cast<uint8_t>(z[z.size() - 4]) | static_cast<uint8_t>(z[z.size() - 3]) << 8 |
                         static_cast<uint8_t>(z[z.size() - 2]) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(z[z.size() - 1])) << 24;
  CHECK(isize == data.size());
}

namespace {
Metric alert(const std::string& status, int64_t t, int64_t started) {
  Metric m("alert", t);
  m.set_tag("alertname", "RouterDown").set_tag("severity", "critical").set_tag("key", "r1").set_tag("pop-name", "a");
  m.set_field("status", status)
      .set_field("message", "r1 down")
      .set_field("value", 1.0)
      .set_field("started_at", started);
  if (status == "resolved") m.set_field("reason", std::string("condition"));
  return m;
}
constexpr int64_t kSec = 1000000000;
}  // namespace

TEST_CASE("webhook_alertmanager: postableAlerts, endsAt, resends and retention", "[webhook]") {
  AlertBook book(std::chrono::minutes(1), std::chrono::minutes(15), "http://agent/rules");
  MetricBatch batch{alert("firing", 1700000000 * kSec, 1700000000 * kSec), Metric("cpu", 1)};
  batch[1].set_field("x", 1);
  size_t ignored = 0;
  auto j = nlohmann::json::parse(book.apply(batch, 1700000010 * kSec, ignored));
  CHECK(ignored == 1);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["labels"] ==
        nlohmann::json({{"alertname", "RouterDown"}, {"severity", "critical"}, {"key", "r1"}, {"pop_name", "a"}}));
  CHECK(j[0]["annotations"]["summary"] == "r1 down");
  CHECK(j[0]["annotations"]["value"] == "1");
  CHECK(j[0]["startsAt"] == "2023-11-14T22:13:20.000Z");
  CHECK(j[0]["endsAt"] == "2023-11-14T22:17:30.000Z");  // now + 4 × 1m
  CHECK(j[0]["generatorURL"] == "http://agent/rules");
  CHECK(book.firing() == 1);

  j = nlohmann::json::parse(book.resend(1700000070 * kSec));
  REQUIRE(j.size() == 1);
  CHECK(j[0]["endsAt"] == "2023-11-14T22:18:30.000Z");

  MetricBatch resolve{alert("resolved", 1700000100 * kSec, 1700000000 * kSec)};
  j = nlohmann::json::parse(book.apply(resolve, 1700000100 * kSec, ignored));
  CHECK(j[0]["endsAt"] == "2023-11-14T22:15:00.000Z");
  CHECK(j[0]["startsAt"] == "2023-11-14T22:13:20.000Z");
  CHECK(j[0]["annotations"]["reason"] == "condition");
  CHECK(book.firing() == 0);
  CHECK(book.size() == 1);
  j = nlohmann::json::parse(book.resend(1700000100 * kSec + 14 * 60 * kSec));  // still within 15m
  CHECK(j[0]["endsAt"] == "2023-11-14T22:15:00.000Z");
  CHECK(book.resend(1700000100 * kSec + 16 * 60 * kSec).empty());  // forgotten
  CHECK(book.size() == 0);
  CHECK(AlertBook::label_name("9x-y") == "_x_y");
}

TEST_CASE("webhook_template: Mustache bodies, JSON escaping, presets and limits", "[webhook]") {
  Metric m = alert("firing", 1700000000 * kSec, 1700000000 * kSec);
  TemplateFormat body(Preset::none, R"({"t":"{{tags.alertname}}","m":"{{fields.message}} \"x\"","n":{{count}}})", {});
  Metric q = m;
  q.set_field("message", std::string("say \"hi\"\n"));
  auto j = nlohmann::json::parse(body.render({&q, &m}, true));
  CHECK(j["n"] == 2);
  CHECK(j["t"] == "");  // batch mode: per-metric names live in {{#metrics}}
  TemplateFormat each(Preset::none, R"({"t":"{{tags.alertname}}","m":"{{fields.message}}"})", {});
  j = nlohmann::json::parse(each.render({&q}, false));
  CHECK(j["t"] == "RouterDown");
  CHECK(j["m"] == "say \"hi\"\n");

  TemplateFormat tg(Preset::telegram, "", {{"chat_id", "-100123"}});
  j = nlohmann::json::parse(tg.render({&m}, true));
  CHECK(j["chat_id"] == "-100123");
  CHECK(j["text"] == "🔥 FIRING RouterDown r1 (critical): r1 down");
  Metric r = alert("resolved", 1700000100 * kSec, 1700000000 * kSec);
  TemplateFormat slack(Preset::slack, "", {});
  j = nlohmann::json::parse(slack.render({&m, &r}, true));
  CHECK(j["text"] == "🔥 FIRING RouterDown r1 (critical): r1 down\n✅ RESOLVED RouterDown r1 (critical): r1 down");

  std::vector<Metric> many(300, m);
  std::vector<const Metric*> ptrs;
  for (auto& x : many) ptrs.push_back(&x);
  TemplateFormat discord(Preset::discord, "", {});
  j = nlohmann::json::parse(discord.render(ptrs, true));
  const std::string content = j["content"];
  CHECK(content.size() <= 2000 * 4);
  CHECK(content.substr(content.size() - 3) == "…");
  size_t units = 0;  // UTF-16 units: the fire emoji counts 2
  for (size_t i = 0; i < content.size();) {
    const unsigned char c = static_cast<unsigned char>(content[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    units += len == 4 ? 2 : 1;
    i += len;
  }
  CHECK(units <= 2000);
  CHECK(units >= 1990);
  CHECK(TemplateFormat::truncate("abc", 3) == "abc");
  CHECK(TemplateFormat::truncate("abcd", 3) == "ab…");
  CHECK_THROWS_WITH(TemplateFormat(Preset::none, "{{#a}}x", {}), Contains("Unclosed section"));
}

TEST_CASE("webhook_options: errors name the option with file:line:col", "[webhook]") {
  test::Harness h;
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: ftp://x"),
                    "<test>:1:6: outputs.webhook.url: expected http://host[:port]/path or https://…");
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nca_file: /etc/ssl/ca.pem"),
                    "<test>:2:10: outputs.webhook.ca_file: needs an https:// url");
  CHECK_THROWS_WITH(
      h.validate(PluginKind::output, "webhook", "url: http://x\nsigning: {standard_webhooks_secret: whsec_!}"),
      "<test>:2:37: outputs.webhook.signing.standard_webhooks_secret: the secret after whsec_ must be base64");
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nsigning: {gh: x}"),
                    Contains("outputs.webhook.signing.gh: unknown option"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nformat: template\npreset: telegram"),
                    Contains("outputs.webhook.template_vars: preset telegram needs template_vars: {chat_id: …}"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nformat: template\ntemplate: '{{#a}}'"),
                    Contains("outputs.webhook.template: invalid Mustache template"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nresend_interval: 5m"),
                    Contains("outputs.webhook.resend_interval: only used with format: alertmanager"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "webhook", "url: http://x\nheaders: {Host: y}"),
                    Contains("outputs.webhook.headers: Host is set by the output itself"));
  CHECK_NOTHROW(
      h.validate(PluginKind::output, "webhook",
                 "url: https://x/hook\nsigning: {standard_webhooks_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, "
                 "github_secret: s}\nheaders: {Authorization: Bearer t}\ngzip: true"));
}
