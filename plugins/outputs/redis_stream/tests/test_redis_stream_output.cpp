// Integration tests: the redis_stream output against a real redis-server.
#include <catch2/catch.hpp>

#include <cmath>
#include <future>
#include <limits>

#include "redis_output_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

Metric traffic(int i, const std::string& router = "pop1-core") {
  Metric m("pppoe_traffic", 1700000000000000000 + i);
  m.set_tag("router", router).set_tag("pppoe_user", "user" + std::to_string(i));
  m.set_field("rx_bps", int64_t{1000} * i).set_field("seq", uint64_t(i)).set_field("loss_ratio", 0.5);
  m.set_field("active", true).set_field("profile", std::string("10M"));
  return m;
}

MetricBatch traffic_batch(int from, int n, const std::string& router = "pop1-core") {
  MetricBatch b;
  for (int i = from; i < from + n; ++i) b.push_back(traffic(i, router));
  return b;
}

std::string str(const redisReply* r) { return std::string(r->str, r->len); }

}  // namespace

TEST_CASE("json format: every entry has one data field with the metric", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url() + "\nstream: mikrotik:traffic:customers");
  REQUIRE(out.wait_connected());
  CHECK(out.health()["status"] == "healthy");

  Metric odd("probe", 42);
  odd.set_tag("note", "quote\" and \xff byte");
  odd.set_field("nan", std::numeric_limits<double>::quiet_NaN());
  MetricBatch batch = traffic_batch(0, 3);
  batch.push_back(odd);
  auto r = out.write(batch);
  REQUIRE(r.ok);

  auto entries = redis.xrange("mikrotik:traffic:customers");
  REQUIRE(entries.size() == 4);
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(entries[i].fields.size() == 1);
    REQUIRE(entries[i].fields[0].first == "data");
    auto j = nlohmann::json::parse(entries[i].fields[0].second);
    CHECK(j["name"] == "pppoe_traffic");
    CHECK(j["tags"]["router"] == "pop1-core");
    CHECK(j["tags"]["pppoe_user"] == "user" + std::to_string(i));
    CHECK(j["fields"]["rx_bps"] == 1000 * static_cast<int>(i));
    CHECK(j["fields"]["seq"] == i);
    CHECK(j["fields"]["loss_ratio"] == 0.5);
    CHECK(j["fields"]["active"] == true);
    CHECK(j["fields"]["profile"] == "10M");
    CHECK(j["time"].get<int64_t>() == 1700000000000000000 + static_cast<int64_t>(i));
  }
  // Awkward input still yields valid JSON (invalid UTF-8 → U+FFFD, NaN → null).
  auto j = nlohmann::json::parse(entries[3].fields[0].second);
  CHECK(j["tags"]["note"] == "quote\" and \xEF\xBF\xBD byte");
  CHECK(j["fields"]["nan"].is_null());
  // IDs are assigned by Redis in write order.
  CHECK(entries[0].id < entries[3].id);
  CHECK(out.counter("entries_written_total") == 4);
  CHECK(out.latency_count() == 1);
}

TEST_CASE("defaults: url and stream key template from the option table", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("db: 2\nurl: " + redis.url());  // only the address; the stream key is the default
  REQUIRE(out.wait_connected());
  REQUIRE(out.write(traffic_batch(0, 3)).ok);
  CHECK(redis.xlen("routerpulse:pppoe_traffic", 2) == 3);  // routerpulse:{name}, in the db option's database
}

TEST_CASE("fields format: flat typed pairs", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url() + "\nstream: flat\nformat: fields\ntag_prefix: 'tag.'");
  REQUIRE(out.wait_connected());
  Metric m = traffic(7);
  m.set_field("inf", std::numeric_limits<double>::infinity());
  m.set_field("big", uint64_t{18446744073709551615u});
  REQUIRE(out.write({m}).ok);
  auto e = redis.xrange("flat");
  REQUIRE(e.size() == 1);
  CHECK(e[0].get("name") == "pppoe_traffic");
  CHECK(e[0].get("time") == "1700000000000000007");
  CHECK(e[0].get("tag.router") == "pop1-core");
  CHECK(e[0].get("tag.pppoe_user") == "user7");
  CHECK(e[0].get("rx_bps") == "7000");
  CHECK(e[0].get("seq") == "7");
  CHECK(e[0].get("loss_ratio") == "0.5");
  CHECK(e[0].get("active") == "true");
  CHECK(e[0].get("profile") == "10M");
  CHECK(e[0].get("inf") == "+Inf");
  CHECK(e[0].get("big") == "18446744073709551615");
  CHECK(e[0].fields.size() == 2 + 2 + 7);
}

TEST_CASE("templated stream keys route by tag and name", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url() + "\nstream: 'mikrotik:{name}:{router}'\nmissing_tag_value: none");
  REQUIRE(out.wait_connected());
  MetricBatch b = traffic_batch(0, 5, "pop1-core");
  auto more = traffic_batch(5, 3, "pop2-edge");
  b.insert(b.end(), more.begin(), more.end());
  b.push_back(Metric("icmp", 1).set_field("rtt_ms", 1.5));  // no router tag
  REQUIRE(out.write(b).ok);
  CHECK(redis.xlen("mikrotik:pppoe_traffic:pop1-core") == 5);
  CHECK(redis.xlen("mikrotik:pppoe_traffic:pop2-edge") == 3);
  CHECK(redis.xlen("mikrotik:icmp:none") == 1);
  CHECK(out.counter("key_missing_tag_total") == 1);
  CHECK(out.counter("entries_written_total") == 9);
}

TEST_CASE("MAXLEN trimming keeps the stream bounded", "[redis_stream][integration]") {
  // Small macro nodes so approximate trimming has something to cut.
  RedisServer redis({"--stream-node-max-entries", "10"});
  SECTION("approximate (~)") {
    RedisOutput out("url: " + redis.url() + "\nstream: approx\nmaxlen: 50");
    REQUIRE(out.wait_connected());
    for (int i = 0; i < 10; ++i) REQUIRE(out.write(traffic_batch(i * 50, 50)).ok);
    long long len = redis.xlen("approx");
    CHECK(len >= 50);
    CHECK(len < 50 + 10);  // at most one partial macro node beyond the threshold
    auto info = redis.cmd({"XINFO", "STREAM", "approx"});
    REQUIRE(info->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i + 1 < info->elements; i += 2)
      if (str(info->element[i]) == "length") CHECK(info->element[i + 1]->integer == len);
    // The oldest entries went first: the first kept one is recent.
    auto first = nlohmann::json::parse(redis.xrange("approx").front().fields[0].second);
    CHECK(first["fields"]["seq"].get<int>() >= 500 - 60);
  }
  SECTION("exact (=)") {
    RedisOutput out("url: " + redis.url() + "\nstream: exact\nmaxlen: 50\napproximate_trim: false");
    REQUIRE(out.wait_connected());
    for (int i = 0; i < 4; ++i) REQUIRE(out.write(traffic_batch(i * 50, 50)).ok);
    CHECK(redis.xlen("exact") == 50);
    auto first = nlohmann::json::parse(redis.xrange("exact").front().fields[0].second);
    CHECK(first["fields"]["seq"] == 150);
  }
}

TEST_CASE("minid_age trims entries older than the component clock's now minus the age", "[redis_stream][integration]") {
  RedisServer redis;
  // The MINID threshold is computed from ctx.clock. A ManualClock standing at
  // the real time (Redis stamps new IDs with its own clock) makes it exact.
  ManualClock clock(now_ns());
  const int64_t threshold_ms = clock.now_ns() / 1'000'000 - 3'600'000;  // minid_age: 1h
  const std::string below = std::to_string(threshold_ms - 1) + "-0", at = std::to_string(threshold_ms) + "-0";
  REQUIRE(redis.cmd({"XADD", "aged", below, "data", "older than the age"})->type == REDIS_REPLY_STRING);
  REQUIRE(redis.cmd({"XADD", "aged", at, "data", "exactly the age"})->type == REDIS_REPLY_STRING);
  RedisOutput out("url: " + redis.url() + "\nstream: aged\nminid_age: 1h\napproximate_trim: false", "redis_stream",
                  &clock);
  REQUIRE(out.wait_connected());
  REQUIRE(out.write(traffic_batch(0, 5)).ok);
  auto e = redis.xrange("aged");
  REQUIRE(e.size() == 6);
  CHECK(e[0].id == at);  // MINID evicts IDs lower than the threshold, keeps the threshold itself
  CHECK(nlohmann::json::parse(*e[1].get("data"))["fields"]["seq"] == 0);
}

TEST_CASE("consumer group is created at start-up and reads and acks entries", "[redis_stream][integration]") {
  RedisServer redis;
  {
    RedisOutput out("url: " + redis.url() + "\nstream: mikrotik:traffic:customers\nconsumer_group: billing");
    REQUIRE(out.wait_connected());
    // Created before any write (MKSTREAM), so a consumer can block on it at once.
    REQUIRE(wait_until(
        [&] {
          return redis.cmd({"XINFO", "GROUPS", "mikrotik:traffic:customers"})->elements == 1;
        },
        std::chrono::seconds(5)));
    REQUIRE(out.write(traffic_batch(0, 5)).ok);
  }
  // A second start finds the group (BUSYGROUP is not an error) and keeps writing.
  RedisOutput again("url: " + redis.url() + "\nstream: mikrotik:traffic:customers\nconsumer_group: billing");
  REQUIRE(again.wait_connected());
  REQUIRE(again.write(traffic_batch(5, 2)).ok);
  CHECK(again.health()["status"] == "healthy");

  auto r =
      redis.cmd({"XREADGROUP", "GROUP", "billing", "c1", "COUNT", "100", "STREAMS", "mikrotik:traffic:customers", ">"});
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 1);
  auto entries = parse_entries(r->element[0]->element[1]);
  REQUIRE(entries.size() == 7);
  std::vector<std::string> ack{"XACK", "mikrotik:traffic:customers", "billing"};
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(nlohmann::json::parse(*entries[i].get("data"))["fields"]["seq"] == i);
    ack.push_back(entries[i].id);
  }
  CHECK(redis.cmd(ack)->integer == 7);
  auto pending = redis.cmd({"XPENDING", "mikrotik:traffic:customers", "billing"});
  CHECK(pending->element[0]->integer == 0);
}

TEST_CASE("consumer group on templated keys is created per stream", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url() +
                  "\nstream: 'traffic:{router}'\nconsumer_group: ws\n"
                  "consumer_group_start_id: '0'");
  REQUIRE(out.wait_connected());
  // An existing stream with history: start id 0 lets the group see it.
  redis.cmd({"XADD", "traffic:old", "*", "data", "{}"});
  MetricBatch b = traffic_batch(0, 2, "a");
  auto more = traffic_batch(2, 2, "old");
  b.insert(b.end(), more.begin(), more.end());
  REQUIRE(out.write(b).ok);
  for (const char* key : {"traffic:a", "traffic:old"}) {
    auto r = redis.cmd({"XREADGROUP", "GROUP", "ws", "c", "COUNT", "10", "STREAMS", key, ">"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    CHECK(parse_entries(r->element[0]->element[1]).size() == (std::string(key) == "traffic:a" ? 2u : 3u));
  }
}

TEST_CASE("a consumer group on a key of the wrong type fails the batch", "[redis_stream][integration]") {
  RedisServer redis;
  redis.cmd({"SET", "taken", "a string"});
  RedisOutput out("url: " + redis.url() + "\nstream: taken\nconsumer_group: g");
  REQUIRE(out.wait_connected());
  auto r = out.write(traffic_batch(0, 2));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, Contains("WRONGTYPE"));
  CHECK(out.errors("error_reply") == 1);
  CHECK(out.counter("entries_written_total") == 0);
  // Fixed by an operator: the retried batch goes through.
  redis.cmd({"DEL", "taken"});
  CHECK(out.write(traffic_batch(0, 2)).ok);
  CHECK(redis.xlen("taken") == 2);
}

TEST_CASE("AUTH with requirepass", "[redis_stream][integration][auth]") {
  RedisServer redis({"--requirepass", "s3cret"});
  redis.password = "s3cret";
  SECTION("password in the URL") {
    RedisOutput out("url: redis://:s3cret@127.0.0.1:" + std::to_string(redis.port()) + "/0\nstream: s");
    REQUIRE(out.wait_connected());
    REQUIRE(out.write(traffic_batch(0, 3)).ok);
    CHECK(redis.xlen("s") == 3);
  }
  SECTION("password option") {
    RedisOutput out("url: " + redis.url() + "\npassword: s3cret\nstream: s");
    REQUIRE(out.wait_connected());
    REQUIRE(out.write(traffic_batch(0, 2)).ok);
    CHECK(redis.xlen("s") == 2);
  }
  SECTION("wrong password: unhealthy, clear error, nothing written") {
    RedisOutput out("url: " + redis.url() + "\npassword: wrong\nstream: s");
    REQUIRE(wait_until([&] { return out.health()["status"] == "unhealthy"; }, std::chrono::seconds(10)));
    CHECK_THAT(out.health()["detail"].get<std::string>(), Contains("AUTH failed"));
    auto r = out.write(traffic_batch(0, 1));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.error, Contains("not connected") && Contains("AUTH failed"));
    CHECK(out.counter("connect_errors_total") >= 1);
    CHECK(redis.cmd({"EXISTS", "s"})->integer == 0);
  }
}

TEST_CASE("AUTH as an ACL user", "[redis_stream][integration][auth]") {
  RedisServer redis;
  auto r = redis.cmd({"ACL", "SETUSER", "agent", "on", ">wonder land", "~mikrotik:*", "+@all"});
  REQUIRE(r->type == REDIS_REPLY_STATUS);
  SECTION("user and percent-encoded password in the URL") {
    RedisOutput out("url: redis://agent:wonder%20land@127.0.0.1:" + std::to_string(redis.port()) +
                    "/0\nstream: 'mikrotik:traffic:{router}'");
    REQUIRE(out.wait_connected());
    REQUIRE(out.write(traffic_batch(0, 2)).ok);
    CHECK(redis.xlen("mikrotik:traffic:pop1-core") == 2);
  }
  SECTION("the ACL limits keys: a forbidden key is an error reply, not a silent loss") {
    RedisOutput out("url: " + redis.url() + "\nusername: agent\npassword: wonder land\nstream: other:{router}");
    REQUIRE(out.wait_connected());
    auto w = out.write(traffic_batch(0, 2));
    CHECK_FALSE(w.ok);
    CHECK_THAT(w.error, Contains("2 of 2 commands got an error reply") && Contains("NOPERM"));
  }
}

TEST_CASE("SELECT db from the URL", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url(3) + "\nstream: s");
  REQUIRE(out.wait_connected());
  REQUIRE(out.write(traffic_batch(0, 4)).ok);
  CHECK(redis.xlen("s", 3) == 4);
  CHECK(redis.cmd({"EXISTS", "s"})->integer == 0);
}

TEST_CASE("unix socket URL", "[redis_stream][integration]") {
  TempDir sock_dir;
  std::string sock = sock_dir.file("redis.sock");
  RedisServer redis({"--unixsocket", sock, "--unixsocketperm", "700"});
  RedisOutput out("url: unix://" + sock + "?db=1\nstream: s");
  REQUIRE(out.wait_connected());
  REQUIRE(out.write(traffic_batch(0, 3)).ok);
  CHECK(redis.xlen("s", 1) == 3);
}

TEST_CASE("no server: write fails fast, health degraded, connects when Redis appears", "[redis_stream][integration]") {
  int port = free_port();
  RedisOutput out("url: redis://127.0.0.1:" + std::to_string(port) + "/0\nstream: s");
  REQUIRE(wait_until([&] { return out.counter("connect_errors_total") >= 2; }, std::chrono::seconds(10)));
  auto h = out.health();
  CHECK(h["status"] == "degraded");
  CHECK_THAT(h["detail"].get<std::string>(), Contains("127.0.0.1:" + std::to_string(port)));
  auto r = out.write(traffic_batch(0, 1));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, Contains("not connected to redis://127.0.0.1:" + std::to_string(port)));
  CHECK(out.errors("disconnected") == 1);

  // Bring up a server on that port: the output reconnects by itself.
  TempDir dir;
  Process server({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                  "no", "--dir", dir.path()},
                 dir.file("redis.log"));
  REQUIRE(out.wait_connected());
  CHECK(out.health()["status"] == "healthy");
  CHECK(out.write(traffic_batch(0, 1)).ok);
  CHECK(out.counter("reconnects_total") == 0);  // the first success is a connect, not a reconnect
}

TEST_CASE("host names are resolved asynchronously", "[redis_stream][integration]") {
  RedisServer redis;
  RedisOutput out("url: redis://localhost:" + std::to_string(redis.port()) + "/0\nstream: s");
  // localhost may resolve to ::1 first; the round-robin over addresses reaches 127.0.0.1.
  REQUIRE(out.wait_connected());
  REQUIRE(out.write(traffic_batch(0, 1)).ok);
  CHECK(redis.xlen("s") == 1);
}

TEST_CASE("reconnects wait for their backoff on the component clock", "[redis_stream][integration][clock]") {
  // A backoff of one hour: only time moved on ctx.clock can bring the retry.
  ManualClock clock(now_ns());
  int port = free_port();
  RedisOutput out("url: redis://127.0.0.1:" + std::to_string(port) +
                      "/0\nstream: s\n"
                      "reconnect_initial: 1h\nreconnect_max: 1h",
                  "redis_stream", &clock);
  REQUIRE(wait_until([&] { return out.counter("connect_errors_total") == 1 && clock.pending() == 1; }, 10s));
  TempDir dir;
  Process server({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                  "no", "--dir", dir.path()},
                 dir.file("redis.log"));
  REQUIRE(wait_for_port(port, 10s));
  CHECK(out.gauge("connected") == 0.0);
  clock.advance(1h + 15min);  // past the jittered delay (±20 %)
  REQUIRE(out.wait_connected());
  CHECK(out.counter("connect_errors_total") == 1);
  REQUIRE(out.write(traffic_batch(0, 2)).ok);
}

TEST_CASE("validate (what `check` runs) opens no connection", "[redis_stream][integration]") {
  RedisServer redis;
  auto connections = [&] {
    auto r = redis.cmd({"INFO", "stats"});
    std::string info(r->str, r->len);
    auto pos = info.find("total_connections_received:");
    return std::stoll(info.substr(pos + 27));
  };
  Harness h;
  long long before = connections();
  h.validate(PluginKind::output, "redis_stream", "url: " + redis.url() + "\nstream: s\nconsumer_group: g");
  CHECK(connections() == before + 1);  // only the INFO connection itself
  CHECK(redis.cmd({"EXISTS", "s"})->integer == 0);
  CHECK(nlohmann::json::parse(h.health.to_json())["components"].empty());
}

TEST_CASE("a component dropped with a write in flight answers it and closes its connection",
          "[redis_stream][integration][lifetime]") {
  RedisServer redis;
  auto clients = [&] {
    auto r = redis.cmd({"INFO", "clients"});
    std::string info(r->str, r->len);
    return std::stoll(info.substr(info.find("connected_clients:") + 18));
  };
  Harness h;
  RedisStreamMetrics metrics(h.stats, "redis_stream");
  auto c = h.create(PluginKind::output, "redis_stream", "url: " + redis.url() + "\nstream: s");
  PluginContext& ctx = h.last_context();
  h.start(*c, ctx);
  REQUIRE(wait_until([&] { return metrics.gauge("connected") == 1.0; }, 15s));
  CHECK(clients() == 2);  // the output and this query

  redis.pause();  // the XADDs stay unanswered
  MetricBatch batch = traffic_batch(0, 3);
  auto answer = std::make_shared<std::promise<WriteResult>>();
  h.run_on(ctx, [&] { dynamic_cast<Output&>(*c).write(batch, [answer](WriteResult r) { answer->set_value(r); }); });
  // No stop(): the last reference goes on the strand, as when a guarded
  // callback held it. The write is answered exactly once, as failed.
  h.run_on(ctx, [&] { c.reset(); });
  auto f = answer->get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto r = f.get();
  CHECK_FALSE(r.ok);
  CHECK(r.error == "redis_stream output was destroyed");
  CHECK(metrics.counter("entries_written_total") == 0);
  redis.resume();
  REQUIRE(wait_until([&] { return clients() == 1; }, 10s));  // only this query: the connection was freed
}
