// routeros_traffic unit tests: counter rates (wrap/reset), interface counter
// polling, reply → metric conversion, user selection, settings, batching.
#include <catch2/catch.hpp>

#include "counter_rate.hpp"
#include "harness.hpp"
#include "interface_counters.hpp"
#include "metric_builders.hpp"
#include "pppoe_session.hpp"
#include "routerpulse/config.hpp"
#include "sample_sink.hpp"
#include "traffic_input.hpp"
#include "traffic_options.hpp"
#include "user_filter.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros_traffic;
namespace rr = routerpulse::routeros;

namespace {

constexpr int64_t kSec = 1000000000;

rr::Reply row(rr::Attributes attrs) {
  rr::Reply r;
  r.type = rr::ReplyType::re;
  r.attributes = std::move(attrs);
  return r;
}

const Metric* find(const MetricBatch& b, const std::string& name, const std::string& iface) {
  for (const auto& m : b)
    if (m.name() == name && m.tag("interface") && *m.tag("interface") == iface) return &m;
  return nullptr;
}

double dbl(const Metric& m, const std::string& f) {
  double d = -1;
  const FieldValue* v = m.field(f);
  REQUIRE(v);
  REQUIRE(field_as_double(*v, d));
  return d;
}

/// Options of the input, with its declared table (defaults come from there).
Options opts(const std::string& yaml) {
  return Options(test::yaml(yaml), "inputs.routeros_traffic", std::make_shared<const std::string>("<test>"),
                 {TrafficInput::options});
}

SteadyTime at(int64_t seconds) { return SteadyTime(std::chrono::seconds(seconds)); }

}  // namespace

TEST_CASE("counter_delta: increase, first sample and zero elapsed time", "[routeros_traffic][unit]") {
  auto first = counter_delta(std::nullopt, {100, 0});
  CHECK(first.event == CounterEvent::first);
  CHECK_FALSE(first.per_second);

  auto d = counter_delta(CounterSample{1000, 0}, {3000, 2 * kSec});
  CHECK(d.event == CounterEvent::increase);
  CHECK(d.delta == 2000);
  REQUIRE(d.per_second);
  CHECK(*d.per_second == Approx(1000.0));

  auto same_time = counter_delta(CounterSample{1000, 5}, {2000, 5});
  CHECK(same_time.event == CounterEvent::no_time);
  CHECK_FALSE(same_time.per_second);
}

TEST_CASE("counter_delta: 32-bit and 64-bit wraps are bridged", "[routeros_traffic][unit]") {
  // 32-bit counter: 4294967000 → 200 is 296 + 200 = 496 units forward.
  auto w32 = counter_delta(CounterSample{4294967000ull, 0}, {200, kSec});
  CHECK(w32.event == CounterEvent::wrap32);
  CHECK(w32.delta == 496);
  CHECK(*w32.per_second == Approx(496.0));

  // 64-bit counter near the top.
  const uint64_t top = UINT64_MAX - 99;
  auto w64 = counter_delta(CounterSample{top, 0}, {50, kSec});
  CHECK(w64.event == CounterEvent::wrap64);
  CHECK(w64.delta == 150);

  // A 64-bit-only counter never wraps at 32 bits: that decrease is a reset.
  auto not32 = counter_delta(CounterSample{4294967000ull, 0}, {200, kSec}, CounterBits::bits64);
  CHECK(not32.event == CounterEvent::reset);
  CHECK_FALSE(not32.per_second);

  // A forced 32-bit counter bridges the same wrap.
  auto forced = counter_delta(CounterSample{4294967000ull, 0}, {200, kSec}, CounterBits::bits32);
  CHECK(forced.event == CounterEvent::wrap32);
}

TEST_CASE("counter_delta: resets are not rates", "[routeros_traffic][unit]") {
  // 5 GB down to 1 KB: neither a 32-bit nor a plausible 64-bit wrap.
  auto big = counter_delta(CounterSample{5000000000ull, 0}, {1000, kSec});
  CHECK(big.event == CounterEvent::reset);
  CHECK_FALSE(big.per_second);
  CHECK(big.delta == 0);

  // 1000 → 10 in a 32-bit range: the wrapped distance is more than half the range.
  auto small = counter_delta(CounterSample{1000, 0}, {10, kSec});
  CHECK(small.event == CounterEvent::reset);

  // The hint wins even over an apparent increase.
  auto hinted = counter_delta(CounterSample{1000, 0}, {2000, kSec}, CounterBits::automatic, true);
  CHECK(hinted.event == CounterEvent::reset);
  CHECK_FALSE(hinted.per_second);
  CHECK(std::string(to_string(CounterEvent::wrap32)) == "wrap32");
}

TEST_CASE("interface counters: totals, rates, wrap, re-created interface, restart", "[routeros_traffic][unit]") {
  InterfaceCounters ic({"ether*"}, CounterBits::automatic);
  auto ether = [](std::string id, uint64_t rx_byte, uint64_t tx_byte, const char* running = "true") {
    return row({{".id", id},
                {"name", "ether1"},
                {"type", "ether"},
                {"running", running},
                {"rx-byte", std::to_string(rx_byte)},
                {"tx-byte", std::to_string(tx_byte)},
                {"rx-packet", "10"},
                {"tx-packet", "20"},
                {"rx-error", "0"},
                {"tx-error", "0"},
                {"rx-drop", "0"},
                {"tx-drop", "0"}});
  };
  auto other = row({{".id", "*9"}, {"name", "<pppoe-a>"}, {"type", "pppoe-in"}, {"rx-byte", "1"}});

  MetricBatch b1;
  auto s1 = ic.process("pop1", {ether("*1", 1000, 5000), other}, 0, 111, false, b1);
  CHECK(s1.matched == 1);
  REQUIRE(b1.size() == 2);
  const Metric* totals = find(b1, "interface", "ether1");
  REQUIRE(totals);
  CHECK(totals->type() == MetricType::counter);
  CHECK(std::get<uint64_t>(*totals->field("rx_bytes")) == 1000);
  CHECK(std::get<uint64_t>(*totals->field("tx_packets")) == 20);
  CHECK(*totals->tag("router") == "pop1");
  CHECK(*totals->tag("type") == "ether");
  CHECK(totals->time() == 111);
  const Metric* rate1 = find(b1, "interface_rate", "ether1");
  REQUIRE(rate1);
  CHECK(rate1->type() == MetricType::gauge);
  CHECK(std::get<bool>(*rate1->field("running")) == true);
  CHECK_FALSE(rate1->field("rx_bits_per_second"));  // first poll: no rate yet

  MetricBatch b2;
  ic.process("pop1", {ether("*1", 2000, 9000)}, 2 * kSec, 222, false, b2);
  const Metric* rate2 = find(b2, "interface_rate", "ether1");
  REQUIRE(rate2);
  CHECK(dbl(*rate2, "rx_bits_per_second") == Approx(4000.0));  // 1000 bytes in 2 s
  CHECK(dbl(*rate2, "tx_bits_per_second") == Approx(16000.0));
  CHECK(dbl(*rate2, "rx_packets_per_second") == Approx(0.0));

  MetricBatch b3;  // rx wraps at 32 bits, tx keeps growing
  ic.process("pop1", {ether("*1", 4294967000ull, 10000)}, 3 * kSec, 333, false, b3);
  MetricBatch b4;
  auto s4 = ic.process("pop1", {ether("*1", 200, 11000)}, 4 * kSec, 444, false, b4);
  CHECK(s4.wraps == 1);
  CHECK(dbl(*find(b4, "interface_rate", "ether1"), "rx_bits_per_second") == Approx(496.0 * 8));

  MetricBatch b5;  // same name, new .id: the interface was re-created → no rates
  auto s5 = ic.process("pop1", {ether("*2", 300, 11100, "false")}, 5 * kSec, 555, false, b5);
  CHECK(s5.resets == 8);
  const Metric* rate5 = find(b5, "interface_rate", "ether1");
  REQUIRE(rate5);
  CHECK_FALSE(rate5->field("rx_bits_per_second"));
  CHECK(std::get<bool>(*rate5->field("running")) == false);

  MetricBatch b6;  // rates again from the new baseline
  ic.process("pop1", {ether("*2", 400, 11200)}, 6 * kSec, 666, false, b6);
  CHECK(dbl(*find(b6, "interface_rate", "ether1"), "rx_bits_per_second") == Approx(800.0));

  MetricBatch b7;  // router restarted: every counter restarts
  auto s7 = ic.process("pop1", {ether("*2", 500, 11300)}, 7 * kSec, 777, true, b7);
  CHECK(s7.resets == 8);
  CHECK_FALSE(find(b7, "interface_rate", "ether1")->field("tx_bits_per_second"));

  MetricBatch b8;  // interface gone: forgotten
  ic.process("pop1", {}, 8 * kSec, 888, false, b8);
  CHECK(b8.empty());
  CHECK(ic.tracked() == 0);

  MetricBatch b9;
  auto bad = row({{".id", "*1"}, {"name", "ether1"}, {"rx-byte", "lots"}, {"tx-byte", "5"}});
  auto s9 = ic.process("pop1", {bad}, 9 * kSec, 999, false, b9);
  CHECK(s9.bad_values == 1);
  CHECK_FALSE(find(b9, "interface", "ether1")->field("rx_bytes"));
  CHECK(std::get<uint64_t>(*find(b9, "interface", "ether1")->field("tx_bytes")) == 5);
}

TEST_CASE("monitor-traffic sample: fields in the customer's direction", "[routeros_traffic][unit]") {
  PppoeSession s;
  s.user = "alice";
  s.interface = pppoe_interface("alice");
  s.caller_id = "AA:BB:CC:00:00:01";
  Metric m = pppoe_traffic_prototype("pop1", s);
  CHECK(*m.tag("interface") == "<pppoe-alice>");
  auto info = fill_traffic_sample(m, row({{"name", "<pppoe-alice>"},
                                          {"rx-bits-per-second", "1000"},
                                          {"tx-bits-per-second", "8000"},
                                          {"rx-packets-per-second", "3"},
                                          {"tx-packets-per-second", "7"},
                                          {"rx-drops-per-second", "1"},
                                          {"tx-drops-per-second", "2"},
                                          {"rx-errors-per-second", "4"},
                                          {"tx-errors-per-second", "5"},
                                          {".sim-sent-ns", "1700000000000000000"}}));
  CHECK(info.sent_ns == 1700000000000000000);
  CHECK_FALSE(info.bad_value);
  // The BRAS transmits to the customer: router tx = customer download, rx = upload.
  CHECK(std::get<uint64_t>(*m.field("download_bits_per_second")) == 8000);
  CHECK(std::get<uint64_t>(*m.field("upload_bits_per_second")) == 1000);
  CHECK(std::get<uint64_t>(*m.field("download_packets_per_second")) == 7);
  CHECK(std::get<uint64_t>(*m.field("upload_packets_per_second")) == 3);
  CHECK(std::get<uint64_t>(*m.field("download_drops_per_second")) == 2);
  CHECK(std::get<uint64_t>(*m.field("upload_drops_per_second")) == 1);
  CHECK(std::get<uint64_t>(*m.field("download_errors_per_second")) == 5);
  CHECK(std::get<uint64_t>(*m.field("upload_errors_per_second")) == 4);
  CHECK(m.fields().size() == 8);  // the sender timestamp is not a field

  Metric bad = pppoe_traffic_prototype("pop1", s);
  auto bi = fill_traffic_sample(
      bad, row({{"name", "<pppoe-alice>"}, {"rx-bits-per-second", "fast"}, {"tx-bits-per-second", "1.5k"}}));
  CHECK(bi.bad_value);
  CHECK_FALSE(bad.field("upload_bits_per_second"));
  CHECK(std::get<uint64_t>(*bad.field("download_bits_per_second")) == 1500);
}

TEST_CASE("/ppp/active rows and pppoe_session metrics", "[routeros_traffic][unit]") {
  bool bad = false;
  auto s = parse_pppoe_row(row({{".id", "*1A"},
                                {"name", "bob"},
                                {"service", "pppoe"},
                                {"caller-id", "AA:BB:CC:00:00:02"},
                                {"address", "100.64.0.2"},
                                {"uptime", "1d2h3m4s"},
                                {"encoding", ""},
                                {"session-id", "0x81000002"}}),
                           at(10), bad);
  REQUIRE(s);
  CHECK_FALSE(bad);
  CHECK(s->interface == "<pppoe-bob>");
  CHECK(s->uptime_seconds == Approx(93784.0));
  CHECK(s->uptime_at(at(15)) == 93789);

  Metric m = pppoe_session_metric("pop1", *s, true, at(15), 42);
  CHECK(m.name() == "pppoe_session");
  CHECK(*m.tag("pppoe_user") == "bob");
  CHECK(*m.tag("caller_id") == "AA:BB:CC:00:00:02");
  CHECK(std::get<std::string>(*m.field("address")) == "100.64.0.2");
  CHECK(std::get<std::string>(*m.field("session_id")) == "0x81000002");
  CHECK(std::get<int64_t>(*m.field("uptime_seconds")) == 93789);
  CHECK(std::get<bool>(*m.field("monitored")) == true);
  CHECK_FALSE(m.field("encoding"));  // empty strings are left out

  CHECK_FALSE(parse_pppoe_row(row({{".id", "*2"}, {"name", "carol"}, {"service", "l2tp"}}), at(0), bad));
  CHECK_FALSE(parse_pppoe_row(row({{"name", "no-id"}}), at(0), bad));
  bad = false;
  auto odd = parse_pppoe_row(row({{".id", "*3"}, {"name", "dave"}, {"uptime", "forever"}}), at(0), bad);
  REQUIRE(odd);
  CHECK(bad);
}

TEST_CASE("routeros_system from /system/resource and /system/identity", "[routeros_traffic][unit]") {
  auto res = row({{"uptime", "2d"},
                  {"version", "7.16.1 (stable)"},
                  {"free-memory", "1000"},
                  {"total-memory", "4000"},
                  {"cpu-load", "7"},
                  {"free-hdd-space", "50"},
                  {"total-hdd-space", "100"},
                  {"board-name", "CCR2004"}});
  auto ident = row({{"name", "core-1"}});
  SystemInfo info;
  int bad = 0;
  Metric m = routeros_system_metric("pop1", res, &ident, 5, info, bad);
  CHECK(bad == 0);
  CHECK(info.uptime_seconds == Approx(172800.0));
  CHECK(std::get<bool>(*m.field("up")));
  CHECK(std::get<uint64_t>(*m.field("cpu_load_percent")) == 7);
  CHECK(std::get<uint64_t>(*m.field("free_memory_bytes")) == 1000);
  CHECK(std::get<uint64_t>(*m.field("total_memory_bytes")) == 4000);
  CHECK(std::get<uint64_t>(*m.field("free_hdd_bytes")) == 50);
  CHECK(std::get<int64_t>(*m.field("uptime_seconds")) == 172800);
  CHECK(std::get<std::string>(*m.field("version")) == "7.16.1 (stable)");
  CHECK(std::get<std::string>(*m.field("board_name")) == "CCR2004");
  CHECK(std::get<std::string>(*m.field("identity")) == "core-1");

  Metric down = routeros_system_down("pop1", 6);
  CHECK(std::get<bool>(*down.field("up")) == false);
  CHECK(down.fields().size() == 1);
}

TEST_CASE("user selection: pppoe all/none/list with include and exclude globs", "[routeros_traffic][unit]") {
  UserFilter all(opts("{}"));
  CHECK(all.enabled());
  CHECK(all.accepts("anyone"));

  UserFilter none(opts("pppoe: none"));
  CHECK_FALSE(none.enabled());
  CHECK_FALSE(none.accepts("anyone"));

  UserFilter list(opts("pppoe: [alice, bob]\nexclude: [bob]"));
  CHECK(list.accepts("alice"));
  CHECK_FALSE(list.accepts("bob"));
  CHECK_FALSE(list.accepts("carol"));

  UserFilter globs(opts("include: ['user00*', 'vip-?']\nexclude: ['user0013']"));
  CHECK(globs.accepts("user0012"));
  CHECK_FALSE(globs.accepts("user0013"));
  CHECK(globs.accepts("vip-a"));
  CHECK_FALSE(globs.accepts("vip-ab"));
  CHECK_FALSE(globs.accepts("guest"));

  CHECK_THROWS_AS(UserFilter(opts("pppoe: some")), ConfigError);
  CHECK_THROWS_WITH(UserFilter(opts("pppoe: {a: 1}")), Catch::Contains("inputs.routeros_traffic.pppoe"));
  CHECK_THROWS_WITH(UserFilter(opts("pppoe: [alice, '']")), Catch::Contains("inputs.routeros_traffic.pppoe[1]"));
}

TEST_CASE("settings: defaults come from the option table", "[routeros_traffic][unit]") {
  const TrafficOptions d = TrafficOptions::read(opts("{}"));
  CHECK(d.router_names == std::vector<std::string>{"all"});
  CHECK(d.users.enabled());
  CHECK(d.monitor_traffic);
  CHECK(d.max_monitors == 5000);
  CHECK(d.interfaces_per_command == 100);
  CHECK(d.reissue_delay == std::chrono::milliseconds(500));
  CHECK(d.discovery == Discovery::listen);
  CHECK(d.resync_interval == std::chrono::minutes(5));
  CHECK(d.batch_size == 5000);
  CHECK(d.interfaces.empty());
  CHECK(d.counter_bits == CounterBits::automatic);
  CHECK(d.system);
  CHECK_FALSE(d.timeout);
  CHECK(d.sample_time == SampleTime::arrival);
  CHECK(d.poll_spread == 0.5);
  // Unset timeout: the interval, within 1 s … 60 s.
  CHECK(d.gather_timeout(std::chrono::seconds(10)) == std::chrono::seconds(10));
  CHECK(d.gather_timeout(std::chrono::minutes(5)) == std::chrono::seconds(60));
  CHECK(d.gather_timeout(std::chrono::milliseconds(100)) == std::chrono::seconds(1));

  const TrafficOptions t = TrafficOptions::read(
      opts("routers: [pop1, pop2]\nsession_discovery: poll\ncounter_bits: 32\ntimeout: 3s\nsample_time: sender"));
  CHECK(t.router_names == std::vector<std::string>{"pop1", "pop2"});
  CHECK(t.discovery == Discovery::poll);
  CHECK(t.counter_bits == CounterBits::bits32);
  CHECK(t.gather_timeout(std::chrono::seconds(10)) == std::chrono::seconds(3));
  CHECK(t.sample_time == SampleTime::sender);
}

TEST_CASE("sample sink: rows share the prototype's tags, leave per read or at batch_size", "[routeros_traffic][unit]") {
  ManualClock clock;
  SelfMetrics stats;
  Counter& samples = stats.counter("t", "samples_total", "h");
  Counter& errors = stats.counter("t", "errors_total", "h");
  Histogram& delay = stats.histogram("t", "delay_seconds", "h");
  std::vector<MetricBatch> batches;
  SampleSink sink({[&](MetricBatch&& out) { batches.push_back(std::move(out)); }, clock, samples, errors, delay,
                   SampleTime::arrival, 3});
  PppoeSession s;
  s.user = "alice";
  s.interface = "<pppoe-alice>";
  const Metric proto = pppoe_traffic_prototype("pop1", s);
  sink.set(s.interface, proto);
  // Views as the session hands them over: only valid during the call.
  auto feed = [&](std::vector<std::string> words) {
    std::vector<std::string_view> views(words.begin(), words.end());
    sink.on_row(rr::RowView{views});
  };
  sink.read_end();  // nothing pending: no empty batch
  CHECK(batches.empty());
  for (int i = 0; i < 4; ++i)
    feed({"!re", "=name=<pppoe-alice>", "=tx-bits-per-second=" + std::to_string(1000 + i), "=rx-bits-per-second=7",
          ".tag=3"});
  feed({"!re", "=name=<pppoe-bob>", "=tx-bits-per-second=1", ".tag=3"});  // not monitored: ignored
  feed({"!re", "=tx-bits-per-second=1", ".tag=3"});                        // no name: a parse error
  REQUIRE(batches.size() == 1);  // batch_size reached
  CHECK(batches[0].size() == 3);
  CHECK(sink.pending() == 1);
  sink.read_end();
  REQUIRE(batches.size() == 2);
  CHECK(batches[1].size() == 1);
  CHECK(samples.value() == 4);
  CHECK(errors.value() == 1);
  const Metric& m = batches[1][0];
  CHECK(m.tag_set() == proto.tag_set());  // shared, not copied
  CHECK(*m.tag("pppoe_user") == "alice");
  CHECK(std::get<uint64_t>(*m.field("download_bits_per_second")) == 1003);
  CHECK(std::get<uint64_t>(*m.field("upload_bits_per_second")) == 7);
  CHECK(m.time() == clock.now_ns());
  // After erase and stop, rows are ignored.
  sink.erase(s.interface);
  feed({"!re", "=name=<pppoe-alice>", "=tx-bits-per-second=1", ".tag=3"});
  sink.set(s.interface, proto);
  sink.stop();
  feed({"!re", "=name=<pppoe-alice>", "=tx-bits-per-second=1", ".tag=3"});
  sink.read_end();
  CHECK(batches.size() == 2);
  CHECK(samples.value() == 4);
}
