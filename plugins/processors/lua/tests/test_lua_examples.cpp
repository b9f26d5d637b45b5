// Every example in scripts/lua/ against crafted metrics.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

constexpr int64_t kT0 = 1'700'000'000 * kSecond;

// A routeros_traffic sample: rates in the customer's direction.
Metric traffic(const std::string& user, int64_t t_s, FieldValue download, FieldValue upload) {
  Metric m("pppoe_traffic", kT0 + t_s * kSecond);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", user).set_tag("interface", "<pppoe-" + user + ">");
  m.set_field("download_bits_per_second", std::move(download)).set_field("upload_bits_per_second", std::move(upload));
  return m;
}

std::string script_options(const std::string& script, const std::string& config) {
  return "script: scripts/lua/" + script + "\nconfig:\n" + config;
}

}  // namespace

TEST_CASE("bandwidth_near_package: fires after `for` at ≥ threshold of the pg_enrich package", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("bandwidth_near_package.lua", "  for: 300\n  cooldown: 600\n"));

  Metric alice = traffic("alice", 0, 49.0e6, 1.0e6);
  alice.set_tag("package_mbps", "50").set_tag("customer_id", "C-1001");
  MetricBatch out = f.run(p, {alice});
  REQUIRE(out.size() == 1);
  CHECK(field<double>(out[0], "package_utilization_ratio") == Approx(0.98));
  CHECK(field<double>(out[0], "download_bits_per_second") == 49.0e6);

  alice.set_time(kT0 + 300 * kSecond);
  out = f.run(p, {alice});
  REQUIRE(out.size() == 2);
  const Metric& a = out[1];
  CHECK(a.name() == "alert");
  CHECK(tag(a, "alertname") == "customer_near_package");
  CHECK(tag(a, "key") == "alice");
  CHECK(tag(a, "router") == "pop1-core");
  CHECK(tag(a, "severity") == "warning");
  CHECK(field<std::string>(a, "status") == "firing");
  CHECK(field<std::string>(a, "message") == "alice at 98% of package (49.0 of 50.0 Mbit/s)");
  CHECK(field<double>(a, "value") == Approx(0.98));
  CHECK(field<double>(a, "package_bits_per_second") == 50e6);
  CHECK(field<double>(a, "rate_bits_per_second") == 49e6);
  CHECK(field<std::string>(a, "customer_id") == "C-1001");

  alice.set_field("download_bits_per_second", 10.0e6).set_time(kT0 + 360 * kSecond);
  out = f.run(p, {alice});
  REQUIRE(named(out, "alert").size() == 1);
  CHECK(field<std::string>(named(out, "alert")[0], "status") == "resolved");
}

TEST_CASE("bandwidth_near_package: every package form of the contract", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("bandwidth_near_package.lua", "  for: 0\n"));
  Metric bob = traffic("bob", 0, 9.6e6, 1.0e6);
  bob.set_tag("package", "10M/50M");  // queue max-limit form: the larger rate
  Metric carol = traffic("carol", 0, uint64_t{96'000'000}, uint64_t{1000});
  carol.set_tag("package", "fiber-100M");  // the plan names of etc/seed.sql
  Metric dave = traffic("dave", 0, 19.5e6, 0.0);
  dave.set_field("package_mbps", int64_t{20});
  Metric erin = traffic("erin", 0, 500e3, 0.0);
  erin.set_tag("package", "512k");
  Metric nopkg = traffic("frank", 0, 1e9, 1e9);
  Metric hotspot = traffic("hana", 0, 1e9, 1e9);
  hotspot.set_tag("package", "hotspot-day");  // no speed in the plan name
  Metric other("routeros_system", kT0);
  other.set_tag("router", "pop1-core").set_field("cpu_load_percent", int64_t{5});

  const MetricBatch out = f.run(p, {bob, carol, dave, erin, nopkg, other, hotspot});
  REQUIRE(out.size() == 7 + 3);
  CHECK(field<double>(out[0], "package_utilization_ratio") == Approx(0.192));
  CHECK(field<double>(out[1], "package_utilization_ratio") == Approx(0.96));
  CHECK(field<uint64_t>(out[1], "download_bits_per_second") == 96'000'000);  // types untouched
  CHECK(field<double>(out[2], "package_utilization_ratio") == Approx(0.975));
  CHECK(field<double>(out[3], "package_utilization_ratio") == Approx(500e3 / 512e3));
  CHECK(out[4] == nopkg);
  CHECK(out[5] == other);
  CHECK(out[6] == hotspot);
  std::vector<std::string> keys;
  for (const auto& a : named(out, "alert")) keys.push_back(tag(a, "key"));
  CHECK(keys == std::vector<std::string>{"carol", "dave", "erin"});
}

namespace {
// A routeros_traffic customer_queue: the queue's max-limit per direction (0 = field absent: unlimited).
Metric customer_queue(const std::string& user, int64_t t_s, uint64_t download_limit, uint64_t upload_limit) {
  Metric m("customer_queue", kT0 + t_s * kSecond);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", user).set_tag("queue", "<pppoe-" + user + ">");
  if (download_limit) m.set_field("download_limit_bps", download_limit);
  if (upload_limit) m.set_field("upload_limit_bps", upload_limit);
  return m;
}
}  // namespace

TEST_CASE("bandwidth_near_package: the customer's queue limit first, the database package as fallback",
          "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("bandwidth_near_package.lua", "  for: 0\n  queue_max_age: 60\n"));
  // Database says 100 Mbit/s; the router's queue shapes alice to 10M up / 50M down.
  Metric q = customer_queue("alice", 0, 50'000'000, 10'000'000);
  REQUIRE(f.run(p, {q}).size() == 1);  // passes unchanged
  Metric alice = traffic("alice", 5, 48.0e6, 1.0e6);
  alice.set_tag("package_mbps", "100");
  MetricBatch out = f.run(p, {alice});
  REQUIRE(named(out, "alert").size() == 1);
  const Metric a = named(out, "alert")[0];
  CHECK(field<double>(a, "value") == Approx(0.96));
  CHECK(field<double>(a, "package_bits_per_second") == 50e6);
  CHECK(field<std::string>(a, "package_source") == "queue");
  CHECK(field<double>(named(out, "pppoe_traffic")[0], "package_utilization_ratio") == Approx(0.96));

  // `max`: the upload is closer to its own (10M) limit than the download to 50M.
  Metric bob_q = customer_queue("bob", 0, 50'000'000, 10'000'000);
  Metric bob = traffic("bob", 5, 20.0e6, 9.8e6);
  out = f.run(p, {bob_q, bob});
  REQUIRE(named(out, "alert").size() == 1);
  CHECK(field<double>(named(out, "alert")[0], "package_bits_per_second") == 10e6);
  CHECK(field<double>(named(out, "alert")[0], "rate_bits_per_second") == 9.8e6);

  // An unlimited queue (no limit fields) falls back to the database package.
  Metric carol_q = customer_queue("carol", 0, 0, 0);
  Metric carol = traffic("carol", 5, 49.0e6, 1.0e6);
  carol.set_tag("package_mbps", "50");
  out = f.run(p, {carol_q, carol});
  REQUIRE(named(out, "alert").size() == 1);
  CHECK(field<std::string>(named(out, "alert")[0], "package_source") == "database");
  CHECK(field<double>(named(out, "alert")[0], "package_bits_per_second") == 50e6);

  // A queue limit older than queue_max_age is not used: alice's database package (100M) is.
  alice.set_time(kT0 + 120 * kSecond);
  out = f.run(p, {alice});
  CHECK(field<double>(named(out, "pppoe_traffic")[0], "package_utilization_ratio") == Approx(0.48));
  CHECK(named(out, "alert").size() == 1);  // resolved: 0.48 < 0.95
  CHECK(field<std::string>(named(out, "alert")[0], "status") == "resolved");

  // A customer with neither a queue nor a package is not evaluated.
  out = f.run(p, {traffic("dave", 130, 1e9, 1e9)});
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].field("package_utilization_ratio"));

  // queue_limits: false ignores queues.
  auto db_only = f.make(script_options("bandwidth_near_package.lua", "  for: 0\n  queue_limits: false\n"));
  Metric erin_q = customer_queue("erin", 0, 10'000'000, 10'000'000);
  Metric erin = traffic("erin", 5, 9.9e6, 1e6);
  erin.set_tag("package_mbps", "100");
  out = f.run(db_only, {erin_q, erin});
  CHECK(named(out, "alert").empty());
  CHECK_THROWS_WITH(f.make(script_options("bandwidth_near_package.lua", "  queue_max_age: 0\n")),
                    Catch::Contains("'queue_max_age' must be > 0"));
}

TEST_CASE("bandwidth_near_package: direction and config validation", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("bandwidth_near_package.lua", "  for: 0\n  direction: upload\n  threshold: 0.5\n"));
  Metric up_only = traffic("gina", 0, 40e6, 1e6);
  up_only.set_tag("package_mbps", "50");
  CHECK(f.run(p, {up_only}).size() == 1);  // the download is not looked at
  Metric busy_upload = traffic("gina", 1, 1e6, 40e6);
  busy_upload.set_tag("package_mbps", "50");
  CHECK(named(f.run(p, {busy_upload}), "alert").size() == 1);  // 40 of 50 Mbit/s up

  CHECK_THROWS_WITH(f.make(script_options("bandwidth_near_package.lua", "  threshold: high\n")),
                    Catch::Contains("config option 'threshold' must be a number, got string"));
  CHECK_THROWS_WITH(f.make(script_options("bandwidth_near_package.lua", "  direction: up\n")),
                    Catch::Contains("'direction' must be download, upload or max"));
  try {
    f.make(script_options("bandwidth_near_package.lua", "  treshold: 0.9\n"));
    FAIL("a config typo must not load");
  } catch (const ConfigError& e) {
    CHECK(e.option() == "processors.lua.config");  // init() failures point at `config`
    CHECK(e.line() == 3);
    CHECK_THAT(e.message(), Catch::Matches(".*scripts/lua/bandwidth_near_package\\.lua:[0-9]+: unknown config "
                                           "option 'treshold'.*"));
  }
}

TEST_CASE("router_health: CPU and memory alerts per router", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("router_health.lua", "  cpu_for: 60\n  memory_for: 300\n"));
  auto sys = [](int64_t t_s, int64_t cpu, uint64_t free_mib) {
    Metric m("routeros_system", kT0 + t_s * kSecond);
    m.set_tag("router", "pop1-core")
        .set_field("cpu_load_percent", cpu)
        .set_field("free_memory_bytes", free_mib << 20)
        .set_field("total_memory_bytes", uint64_t{256} << 20);
    return m;
  };
  MetricBatch out = f.run(p, {sys(0, 85, 10)});
  REQUIRE(out.size() == 1);
  CHECK(field<double>(out[0], "memory_used_ratio") == Approx(246.0 / 256.0));
  CHECK(field<uint64_t>(out[0], "free_memory_bytes") == 10u << 20);

  out = f.run(p, {sys(60, 90, 10)});
  REQUIRE(out.size() == 2);
  CHECK(tag(out[1], "alertname") == "router_cpu_high");
  CHECK(tag(out[1], "key") == "pop1-core");
  CHECK(field<double>(out[1], "value") == 90);
  CHECK(field<std::string>(out[1], "message") == "pop1-core CPU load 90% (threshold 80%)");

  out = f.run(p, {sys(300, 50, 10)});
  const MetricBatch alerts = named(out, "alert");
  REQUIRE(alerts.size() == 2);
  CHECK(tag(alerts[0], "alertname") == "router_cpu_high");
  CHECK(field<std::string>(alerts[0], "status") == "resolved");
  CHECK(tag(alerts[1], "alertname") == "router_memory_high");
  CHECK(field<std::string>(alerts[1], "status") == "firing");
  CHECK(field<std::string>(alerts[1], "message") == "pop1-core memory 96% used (10 MiB free)");
  CHECK(field<int64_t>(alerts[1], "free_memory_bytes") == 10 << 20);

  Metric traffic_metric = traffic("alice", 0, 1.0, 2.0);
  CHECK(f.run(p, {traffic_metric}) == MetricBatch{traffic_metric});
}

TEST_CASE("units: renames, scaling and RouterOS durations", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("units.lua", R"(  measurements: { pppoe_traffic: customer_traffic }
  tags: { caller_id: mac_address }
  fields:
    download_bits_per_second: { to: download_megabits_per_second, scale: 0.000001 }
    upload_bits_per_second: upload_rate
  routeros_durations: [uptime, last_link_up]
)"));
  auto with_uptime = [](const std::string& uptime) {
    Metric m = traffic("alice", 0, uint64_t{50'000'000}, 2.5e6);
    m.set_tag("caller_id", "AA:BB:CC:DD:EE:FF").set_field("uptime", uptime);
    return m;
  };
  const Metric out = f.run_one(p, with_uptime("1w2d3h4m5s"));
  CHECK(out.name() == "customer_traffic");
  CHECK(tag(out, "mac_address") == "AA:BB:CC:DD:EE:FF");
  CHECK(out.tag("caller_id") == nullptr);
  CHECK(field<double>(out, "download_megabits_per_second") == 50.0);
  CHECK(field<double>(out, "upload_rate") == 2.5e6);
  CHECK(out.field("download_bits_per_second") == nullptr);
  CHECK(field<int64_t>(out, "uptime_seconds") == 788645);
  CHECK(out.field("uptime") == nullptr);

  CHECK(field<int64_t>(f.run_one(p, with_uptime("1d02:03:04")), "uptime_seconds") == 93784);
  CHECK(field<int64_t>(f.run_one(p, with_uptime("02:03:04")), "uptime_seconds") == 7384);
  CHECK(field<int64_t>(f.run_one(p, with_uptime("5s500ms")), "uptime_seconds") == 5);
  const Metric odd = f.run_one(p, with_uptime("yesterday"));
  CHECK(field<std::string>(odd, "uptime") == "yesterday");
  CHECK(odd.field("uptime_seconds") == nullptr);

  auto plain = f.make("script: scripts/lua/units.lua", "lua/plain");
  const Metric untouched = traffic("bob", 0, uint64_t{1}, 2.0);
  CHECK(f.run_one(plain, untouched) == untouched);
}

TEST_CASE("drop_noisy: measurements, tag patterns, zero fields and idle thinning", "[lua][examples]") {
  LuaFixture f;
  auto p = f.make(script_options("drop_noisy.lua", R"(  drop_measurements: [neighbor]
  drop_tags: { interface: "^<l2tp%-" }
  drop_zero_fields: [download_drops_per_second]
  idle_below_bits_per_second: 1000
  idle_keep_every: 300
)"));
  Metric neighbor("neighbor", kT0);
  neighbor.set_field("address", std::string("10.0.0.1"));
  Metric l2tp = traffic("vpn", 0, 5e6, 5e6);
  l2tp.set_tag("interface", "<l2tp-vpn>");
  CHECK(f.run(p, {neighbor, l2tp}).empty());

  Metric zero = traffic("alice", 0, 5e6, 5e6);
  zero.set_field("download_drops_per_second", uint64_t{0});
  Metric some = traffic("alice", 1, 5e6, 5e6);
  some.set_field("download_drops_per_second", uint64_t{5});
  const MetricBatch drops = f.run(p, {zero, some});
  REQUIRE(drops.size() == 2);
  CHECK(drops[0].field("download_drops_per_second") == nullptr);
  CHECK(field<uint64_t>(drops[1], "download_drops_per_second") == 5);

  // Idle series: one sample kept per 300 s; the first idle sample after traffic is kept.
  std::vector<int64_t> kept;
  for (auto [t, download] : std::vector<std::pair<int64_t, double>>{
           {0, 10}, {60, 10}, {299, 10}, {300, 10}, {310, 5e6}, {320, 10}, {330, 10}, {620, 10}}) {
    for (const Metric& m : f.run(p, {traffic("idle", t, download, 0.0)})) kept.push_back((m.time() - kT0) / kSecond);
  }
  CHECK(kept == std::vector<int64_t>{0, 300, 310, 320, 620});
  CHECK(f.counter("lua", "metrics_dropped_total") == 2 + 3);
}
