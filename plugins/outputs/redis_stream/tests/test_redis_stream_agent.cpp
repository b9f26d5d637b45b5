// The real agent (`routerpulse run`) writing to a Redis that is killed and
// restarted mid-run: every metric gathered while the output buffer had room
// reaches the stream at least once, in order, and the agent exits 0.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <fstream>
#include <set>

#include "harness.hpp"
#include "redis_server.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

TEST_CASE("agent: Redis killed and restarted mid-run loses nothing", "[redis_stream][agent]") {
  RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});  // survives SIGKILL
  TempDir dir;
  auto cfg = dir.file("agent.yaml");
  {
    std::ofstream f(cfg);
    f << "agent: {plugin_dir: " << plugin_dir() << ", shutdown_timeout: 10s}\n"
      << "inputs:\n  internal: {interval: 100ms, subsystems: [input]}\n"
      << "outputs:\n  redis_stream: {url: \"" << redis.url() << "\", stream: \"rp:agent\", batch_size: 2,"
      << " flush_interval: 50ms, retry_initial: 50ms, retry_max: 200ms, buffer_limit: 100000,"
      << " connect_timeout: 500ms, reconnect_initial: 50ms, reconnect_max: 200ms}\n"
      << "pipelines:\n  main: {inputs: [internal], outputs: [redis_stream]}\n";
  }
  Process agent({build_dir() + "/routerpulse", "run", "-c", cfg}, dir.file("agent.log"));
  auto logged = [&](const std::string& text) {
    return read_file(dir.file("agent.log")).find(text) != std::string::npos;
  };
  REQUIRE(wait_until([&] { return redis.xlen("rp:agent") >= 5; }, 10s));
  redis.kill();
  // The engine logs the 1st and every 10th consecutive failed write; with
  // retries every 50–200 ms the 10th comes after ~15 gathers with Redis down.
  REQUIRE(wait_until([&] { return logged("failed (attempt 10)"); }, 30s));
  redis.restart();
  REQUIRE(wait_until([&] { return logged("write recovered"); }, 30s));
  // The backlog (~20 gathers) plus a few gathers after the recovery, then a
  // clean shutdown.
  REQUIRE(wait_until([&] { return redis.xlen("rp:agent") >= 40; }, 20s));
  agent.signal(SIGTERM);
  auto rc = agent.wait(20s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);

  // Each internal_input metric carries the number of gathers completed before
  // it (field `gathers`): 0, 1, 2, … — a gap would be a lost metric.
  std::vector<uint64_t> seq;
  for (const auto& e : redis.xrange("rp:agent")) {
    for (const auto& [k, v] : e.fields) {
      if (k != "data") continue;
      auto j = nlohmann::json::parse(v);
      if (j["name"] == "internal_input") seq.push_back(j["fields"]["gathers"].get<uint64_t>());
    }
  }
  REQUIRE(seq.size() > 30);
  std::set<uint64_t> unique(seq.begin(), seq.end());
  INFO("entries=" << seq.size() << " unique=" << unique.size() << " max=" << *unique.rbegin());
  CHECK(*unique.begin() == 0);
  CHECK(unique.size() == *unique.rbegin() + 1);   // no gap: nothing lost
  CHECK(std::is_sorted(seq.begin(), seq.end()));  // delivered in order (duplicates allowed)
  auto log = read_file(dir.file("agent.log"));
  CHECK_THAT(log, Catch::Contains("write recovered"));
  CHECK_THAT(log, !Catch::Contains("dropped"));
}
