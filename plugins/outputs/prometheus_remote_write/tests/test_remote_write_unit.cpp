// prometheus_remote_write without a receiver: the request bodies decoded back
// (snappy + the generated protobuf classes), series naming shared with the
// prometheus output, per-series order and max_samples_per_send, and option
// errors with their file position and option name.
#include <catch2/catch.hpp>

#include <snappy.h>

#include <algorithm>
#include <map>
#include <set>

#include "encoder.hpp"
#include "harness.hpp"
#include "httpc/tls.hpp"
#include "prom/series_naming.hpp"
#include "remote_write.pb.h"
#include "routerpulse/metric.hpp"

using namespace routerpulse;
using namespace routerpulse::remote_write;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t kT0 = 1764650000123456789;  // ns; 1764650000123 ms

rwpb::WriteRequest decode(const EncodedRequest& r) {
  std::string raw;
  REQUIRE(snappy::Uncompress(r.body.data(), r.body.size(), &raw));
  CHECK(raw.size() == r.raw_bytes);
  rwpb::WriteRequest w;
  REQUIRE(w.ParseFromString(raw));
  return w;
}

std::map<std::string, std::string> labels(const rwpb::TimeSeries& ts) {
  std::map<std::string, std::string> out;
  for (const auto& l : ts.labels()) out[l.name()] = l.value();
  return out;
}

bool sorted_labels(const rwpb::TimeSeries& ts) {
  for (int i = 1; i < ts.labels_size(); ++i)
    if (!(ts.labels(i - 1).name() < ts.labels(i).name())) return false;
  return true;
}

}  // namespace

TEST_CASE("remote_write encoder: labels, names, values and timestamps of the prometheus mapping", "[remote_write]") {
  EncoderOptions opt;
  opt.external_labels = {{"pop", "pop1"}, {"router", "from-config"}};
  Encoder enc(opt);
  MetricBatch b;
  Metric m("pppoe_traffic", kT0);
  m.set_tag("router", "pop1-r1").set_tag("pppoe_user", "cust-7").set_tag("empty", "").set_tag("odd-key", "x\"y");
  m.set_field("download_bits_per_second", 1.5e6).set_field("upload_bits_per_second", int64_t{250000});
  m.set_field("state", std::string("up")).set_field("online", true).set_field("latency_ms", 12.0);
  b.push_back(m);
  Metric c("iface", kT0, MetricType::counter);
  c.set_field("rx_bytes", uint64_t{18446744073709551615ULL});
  b.push_back(c);

  EncodeStats st;
  auto reqs = enc.encode(b, 0, st);
  REQUIRE(reqs.size() == 1);
  CHECK(st.samples == 5);
  CHECK(st.string_fields == 1);
  CHECK(reqs[0].samples == 5);
  auto w = decode(reqs[0]);
  REQUIRE(w.timeseries_size() == 5);
  std::map<std::string, const rwpb::TimeSeries*> by_name;
  for (const auto& ts : w.timeseries()) {
    CHECK(sorted_labels(ts));
    REQUIRE(ts.samples_size() == 1);
    CHECK(ts.samples(0).timestamp() == 1764650000123);
    by_name[labels(ts)["__name__"]] = &ts;
  }
  REQUIRE(by_name.count("pppoe_traffic_download_bits_per_second"));
  const auto l = labels(*by_name["pppoe_traffic_download_bits_per_second"]);
  // the series' own router tag wins over the external label; empty tag left out; names sanitised
  CHECK(l == std::map<std::string, std::string>{{"__name__", "pppoe_traffic_download_bits_per_second"},
                                                {"odd_key", "x\"y"},
                                                {"pop", "pop1"},
                                                {"pppoe_user", "cust-7"},
                                                {"router", "pop1-r1"}});
  CHECK(by_name["pppoe_traffic_download_bits_per_second"]->samples(0).value() == 1.5e6);
  CHECK(by_name["pppoe_traffic_upload_bits_per_second"]->samples(0).value() == 250000);
  CHECK(by_name["pppoe_traffic_online"]->samples(0).value() == 1);
  // base units: _ms → _seconds, value scaled, like the prometheus output
  REQUIRE(by_name.count("pppoe_traffic_latency_seconds"));
  CHECK(by_name["pppoe_traffic_latency_seconds"]->samples(0).value() == Approx(0.012));
  // a counter gets _total; the metric without tags still gets the external labels
  REQUIRE(by_name.count("iface_rx_bytes_total"));
  CHECK(labels(*by_name["iface_rx_bytes_total"]) ==
        std::map<std::string, std::string>{
            {"__name__", "iface_rx_bytes_total"}, {"pop", "pop1"}, {"router", "from-config"}});
  CHECK(by_name["iface_rx_bytes_total"]->samples(0).value() == 18446744073709551615.0);

  // The same labels as the prometheus output's exposition (one mapping).
  std::string text;
  prom::append_labels(text, m.tags());
  CHECK(text == "{odd_key=\"x\\\"y\",pppoe_user=\"cust-7\",router=\"pop1-r1\"}");
}

TEST_CASE("remote_write encoder: per-series time order across requests of max_samples_per_send", "[remote_write]") {
  EncoderOptions opt;
  opt.max_samples_per_send = 3;
  Encoder enc(opt);
  MetricBatch b;
  // Two series, times out of order in the batch, and a fresh TagSet per metric
  // (inputs that rebuild their tags every round) that must still be one series.
  const int64_t times[] = {5, 1, 4, 2, 3};
  for (int64_t t : times) {
    for (const char* target : {"a", "b"}) {
      Metric m("icmp", kT0 + t * 1000000000);
      m.set_tag("target", target).set_field("rtt_seconds", static_cast<double>(t));
      b.push_back(m);
    }
  }
  EncodeStats st;
  auto reqs = enc.encode(b, 0, st);
  CHECK(enc.series() == 2);
  REQUIRE(reqs.size() == 4);  // 10 samples, 3 per request
  std::map<std::string, std::vector<int64_t>> seen;
  size_t total = 0;
  for (const auto& r : reqs) {
    CHECK(r.samples <= 3);
    auto w = decode(r);
    std::set<std::string> in_request;
    for (const auto& ts : w.timeseries()) {
      const std::string target = labels(ts)["target"];
      CHECK(in_request.insert(target).second);  // one TimeSeries per series and request
      for (const auto& s : ts.samples()) {
        seen[target].push_back(s.timestamp());
        CHECK(s.value() == static_cast<double>((s.timestamp() - kT0 / 1000000) / 1000));
        ++total;
      }
    }
  }
  CHECK(total == 10);
  for (auto& [target, ts] : seen) {
    CHECK(ts.size() == 5);
    CHECK(std::is_sorted(ts.begin(), ts.end()));  // in time order over consecutive requests
  }
  // A batch without numeric fields gives no request; a second batch reuses the series.
  MetricBatch strings;
  Metric s("x", kT0);
  s.set_field("text", std::string("t"));
  strings.push_back(s);
  EncodeStats st2;
  CHECK(enc.encode(strings, 0, st2).empty());
  CHECK(st2.string_fields == 1);
}

TEST_CASE("remote_write encoder: a metric without time gets now, negative times floor", "[remote_write]") {
  Encoder enc(EncoderOptions{});
  MetricBatch b;
  Metric m("m");
  m.set_field("v", 1.0);
  b.push_back(m);
  Metric n("n", -1500000);  // -1.5 ms
  n.set_field("v", 2.0);
  b.push_back(n);
  EncodeStats st;
  auto reqs = enc.encode(b, kT0, st);
  REQUIRE(reqs.size() == 1);
  auto w = decode(reqs[0]);
  REQUIRE(w.timeseries_size() == 2);
  std::map<std::string, int64_t> t;
  for (const auto& ts : w.timeseries()) t[labels(ts)["__name__"]] = ts.samples(0).timestamp();
  CHECK(t["m_v"] == 1764650000123);
  CHECK(t["n_v"] == -2);
}

TEST_CASE("remote_write options: errors name the option", "[remote_write]") {
  test::Harness h;
  const std::string url = "url: http://127.0.0.1:9/api/v1/write\n";
  auto bad = [&](const std::string& yaml) {
    try {
      h.validate(PluginKind::output, "prometheus_remote_write", yaml);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(bad(url) == "no error");
  CHECK(bad(url + "external_labels: {pop: p1}\nbasic_auth: {username: u, password: p}\n") == "no error");
  CHECK_THAT(bad("url: ftp://x/"), Contains("prometheus_remote_write.url"));
  CHECK_THAT(bad(url + "external_labels: {1pop: x}"), Contains("external_labels: \"1pop\" is not a label name"));
  CHECK_THAT(bad(url + "external_labels: {__name__: x}"), Contains("external_labels"));
  CHECK_THAT(bad(url + "external_labels: {pop: ''}"), Contains("external_labels: pop: an empty value"));
  CHECK_THAT(bad(url + "basic_auth: {username: u}\nbearer_token: t"), Contains("bearer_token: give basic_auth or"));
  CHECK_THAT(bad(url + "basic_auth: {password: p}"), Contains("basic_auth: needs a username"));
  CHECK_THAT(bad(url + "basic_auth: {username: u, pw: p}"), Contains("basic_auth.pw: unknown option"));
  CHECK_THAT(bad(url + "bearer_token: t\nheaders: {Authorization: x}"), Contains("Authorization is set by"));
  CHECK_THAT(bad(url + "headers: {Content-Encoding: gzip}"), Contains("set by the output itself"));
  CHECK_THAT(bad(url + "ca_file: /x.pem"), Contains("ca_file: needs an https:// url"));
  CHECK_THAT(bad(url + "max_samples_per_send: 0"), Contains("max_samples_per_send"));
  CHECK_THAT(bad(url + "max_samples_per_send: 0"), Contains(":2:"));  // file:line:col of the value
  CHECK(httpc::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617 §2
}

TEST_CASE("remote_write encoder: lanes keep each series in one lane, in order", "[remote_write]") {
  EncoderOptions opt;
  opt.max_samples_per_send = 5;
  opt.lanes = 3;
  Encoder enc(opt);
  MetricBatch b;
  for (int64_t t = 4; t >= 1; --t)  // newest first in the batch
    for (int i = 0; i < 10; ++i) {
      Metric m("icmp", kT0 + t * 1000000000);
      m.set_tag("target", "10.0.0." + std::to_string(i)).set_field("rtt_seconds", static_cast<double>(t));
      b.push_back(m);
    }
  EncodeStats st;
  auto reqs = enc.encode(b, 0, st);
  std::map<std::string, size_t> lane_of;
  std::map<std::string, std::vector<int64_t>> times;
  size_t last_lane = 0, total = 0;
  for (const auto& r : reqs) {
    CHECK(r.lane < 3);
    CHECK(r.lane >= last_lane);  // grouped by lane, a lane's requests in sending order
    last_lane = r.lane;
    CHECK(r.samples <= 5);
    auto w = decode(r);
    for (const auto& ts : w.timeseries()) {
      const std::string target = labels(ts)["target"];
      auto [it, fresh] = lane_of.emplace(target, r.lane);
      CHECK(it->second == r.lane);  // a series never changes lane
      for (const auto& s : ts.samples()) times[target].push_back(s.timestamp());
      total += static_cast<size_t>(ts.samples_size());
    }
  }
  CHECK(total == 40);
  CHECK(lane_of.size() == 10);
  std::set<size_t> used;
  for (auto& [t, l] : lane_of) used.insert(l);
  CHECK(used.size() == 3);
  for (auto& [target, ts] : times) {
    CHECK(ts.size() == 4);
    CHECK(std::is_sorted(ts.begin(), ts.end()));
  }
}
