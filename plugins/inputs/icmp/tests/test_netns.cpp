// icmp input against a real network in namespaces (tests/netns.sh): up/down at
// 10k targets, injected loss, per-target delays (no misattributed reply),
// IPv6, ICMP errors, raw and unprivileged sockets. Needs root; skips otherwise.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "harness.hpp"
#include "netns.hpp"

using namespace routerpulse;
namespace rt = routerpulse::test;
using icmp::test::TestNet;

namespace {

struct RoundResult {
  std::map<std::string, Metric> by_target;
  std::string self_metrics;
  int up = 0, down = 0;
};

int64_t int_field(const Metric& m, const char* k) {
  const FieldValue* v = m.field(k);
  REQUIRE(v);
  return std::get<int64_t>(*v);
}
double dbl_field(const Metric& m, const char* k) {
  const FieldValue* v = m.field(k);
  REQUIRE(v);
  return std::get<double>(*v);
}
bool is_up(const Metric& m) {
  const FieldValue* v = m.field("up");
  REQUIRE(v);
  return std::get<bool>(*v);
}

/// A self-metric's value from the Prometheus text (0 when absent).
double self_metric(const std::string& text, const std::string& name) {
  size_t p = text.find("\n" + name + "{");
  if (p == std::string::npos) return 0;
  size_t sp = text.find("} ", p);
  return std::atof(text.c_str() + sp + 2);
}

/// Lets the handlers that stop() cancelled run before the Harness goes away:
/// the Harness unloads the plugins before it destroys its io_context, and
/// destroying a queued handler whose code lives in an unloaded plugin crashes.
void settle(rt::Harness& h) {
  for (int i = 0; i < 3; ++i) h.run_on(h.last_context(), [] {});
}

/// One round of an icmp input built from `yaml`, in the prober namespace.
RoundResult run_round(const std::string& yaml, int rounds = 1) {
  rt::Harness h;
  auto c = h.create(PluginKind::input, "icmp", yaml);
  auto& in = dynamic_cast<Input&>(*c);
  h.start(*c, h.last_context());
  RoundResult r;
  for (int i = 0; i < rounds; ++i) {
    h.clear_emitted();
    REQUIRE(h.gather(in, h.last_context(), std::chrono::seconds(60)));
  }
  for (auto& m : h.emitted()) {
    REQUIRE(m.name() == "icmp");
    REQUIRE(m.tag("target"));
    (is_up(m) ? r.up : r.down)++;
    r.by_target.emplace(*m.tag("target"), m);
  }
  h.stats.write_prometheus(r.self_metrics);
  h.stop(*c, h.last_context());
  settle(h);
  return r;
}

std::string write_targets(rt::TempDir& dir, const std::string& name, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  rt::write_file(dir.file(name), text);
  return dir.file(name);
}

std::vector<std::string> v4_range(const char* prefix16, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::string(prefix16) + "." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  return out;
}

#define NEED_NET()                   \
  std::string why_;                  \
  TestNet* net = TestNet::get(why_); \
  if (!net) {                        \
    WARN("skipped: " << why_);       \
    return;                          \
  }                                  \
  (void)net

}  // namespace

TEST_CASE("icmp: 9000 up and 1000 down in one round (raw then unprivileged sockets)", "[icmp][netns]") {
  NEED_NET();
  rt::TempDir dir;
  auto lines = v4_range("10.200", 9000);
  for (auto& l : v4_range("10.201", 1000)) lines.push_back(l + " kind=down");
  auto file = write_targets(dir, "targets.txt", lines);
  for (const char* mode : {"raw", "unprivileged"}) {
    if (std::string(mode) == "unprivileged")
      REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='0 2147483647'") == 0);
    auto r = run_round(std::string("targets_file: ") + file + "\ncount: 1\nrate: 0\ntimeout: 500ms\nmode: " + mode);
    INFO("mode " << mode);
    CHECK(r.by_target.size() == 10000);
    CHECK(r.up == 9000);
    CHECK(r.down == 1000);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_unmatched_replies_total") == 0);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_socket_drops_total") == 0);
    const Metric& up = r.by_target.at("10.200.0.1");
    CHECK(*up.tag("address") == "10.200.0.1");
    CHECK(int_field(up, "packets_transmitted") == 1);
    CHECK(int_field(up, "packets_received") == 1);
    CHECK(dbl_field(up, "percent_packet_loss") == 0.0);
    CHECK(int_field(up, "ttl") == 64);
    CHECK(up.field("average_response_ms"));
    const Metric& down = r.by_target.at("10.201.0.1");
    CHECK(*down.tag("kind") == "down");
    CHECK(int_field(down, "packets_received") == 0);
    CHECK(dbl_field(down, "percent_packet_loss") == 100.0);
    CHECK_FALSE(down.field("average_response_ms"));
    CHECK(self_metric(r.self_metrics, std::string("routerpulse_icmp_socket_mode").c_str()) == 1);
    CHECK(r.self_metrics.find(std::string("mode=\"") + mode + "\"") != std::string::npos);
  }
  REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='1 0'") == 0);
}

TEST_CASE("icmp: 2 % injected loss is measured within 0.5 points over 30000 probes", "[icmp][netns]") {
  NEED_NET();
  rt::TempDir dir;
  auto file = write_targets(dir, "targets.txt", v4_range("10.200", 10000));
  REQUIRE(net->script("loss", "20") == 0);
  auto r = run_round("targets_file: " + file + "\ncount: 3\nprobe_interval: 100ms\nrate: 0\ntimeout: 500ms");
  net->script("noloss");
  int64_t sent = 0, received = 0;
  for (auto& [t, m] : r.by_target) {
    sent += int_field(m, "packets_transmitted");
    received += int_field(m, "packets_received");
  }
  REQUIRE(sent == 30000);
  double loss = 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent);
  INFO("measured loss " << loss << " %");
  CHECK(loss >= 1.5);
  CHECK(loss <= 2.5);
  CHECK(self_metric(r.self_metrics, "routerpulse_icmp_unmatched_replies_total") == 0);
}

TEST_CASE("icmp: every reply goes to its own target (per-address delays)", "[icmp][netns]") {
  NEED_NET();
  REQUIRE(net->start_responder());
  rt::TempDir dir;
  std::vector<std::string> lines;
  for (int i = 1; i <= 254; ++i) lines.push_back("10.202.0." + std::to_string(i));
  auto file = write_targets(dir, "targets.txt", lines);
  for (const char* mode : {"raw", "unprivileged"}) {
    if (std::string(mode) == "unprivileged")
      REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='0 2147483647'") == 0);
    auto r =
        run_round("targets_file: " + file + "\ncount: 3\nprobe_interval: 20ms\nrate: 0\ntimeout: 500ms\nmode: " + mode);
    INFO("mode " << mode);
    REQUIRE(r.up == 254);
    int wrong = 0;
    for (int i = 1; i <= 254; ++i) {
      const Metric& m = r.by_target.at("10.202.0." + std::to_string(i));
      // Delays are multiples of 10 ms: a reply credited to another target is
      // off by at least 10 ms; allow 9 ms of scheduling slack on a busy host.
      const double want = (i % 8) * 10.0;
      const double lo = dbl_field(m, "minimum_response_ms"), hi = dbl_field(m, "maximum_response_ms");
      if (lo < want || hi >= want + 9.5) {
        if (++wrong <= 5) WARN("10.202.0." << i << ": want " << want << " ms, got " << lo << ".." << hi);
      }
      CHECK(int_field(m, "packets_received") == 3);
      CHECK(m.field("jitter_ms"));
    }
    CHECK(wrong == 0);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_unmatched_replies_total") == 0);
  }
  REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='1 0'") == 0);
}

TEST_CASE("icmp: IPv6 up and down and ICMP errors counted", "[icmp][netns]") {
  NEED_NET();
  std::string yaml = "count: 2\nprobe_interval: 10ms\nrate: 0\ntimeout: 300ms\ntargets:\n";
  for (int i = 1; i <= 200; ++i) yaml += "  - \"fd42:200::" + std::to_string(i) + " family=v6\"\n";
  for (int i = 1; i <= 20; ++i) yaml += "  - \"fd42:201::" + std::to_string(i) + " family=v6\"\n";
  // One target behind an "unreachable" route: the target namespace answers
  // with ICMP host unreachable, at most 5 in a burst then 1/s per source
  // (net.ipv4.route.error_burst / error_cost), so keep it to one target.
  yaml += "  - 10.203.0.2\n";
  // Host names: localhost resolves (/etc/hosts) to the prober's own loopback;
  // a name that does not resolve is reported in its metric, never stops the round.
  yaml += "  - localhost\n  - no-such-host.invalid\n";
  for (const char* mode : {"raw", "unprivileged"}) {
    if (std::string(mode) == "unprivileged")
      REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='0 2147483647'") == 0);
    auto r = run_round(yaml + "mode: " + mode);
    INFO("mode " << mode);
    CHECK(r.up == 201);
    CHECK(r.down == 22);
    const Metric& lh = r.by_target.at("localhost");
    CHECK(is_up(lh));
    CHECK((*lh.tag("address") == "127.0.0.1" || *lh.tag("address") == "::1"));
    const Metric& bad = r.by_target.at("no-such-host.invalid");
    CHECK_FALSE(is_up(bad));
    CHECK(int_field(bad, "result_code") == 1);
    CHECK_FALSE(bad.tag("address"));
    REQUIRE(bad.field("error"));
    CHECK_THAT(std::get<std::string>(*bad.field("error")),
               Catch::StartsWith("cannot resolve") || Catch::Equals("name not resolved yet"));
    const Metric& m = r.by_target.at("fd42:200::7");
    CHECK(*m.tag("address") == "fd42:200::7");
    CHECK(int_field(m, "packets_received") == 2);
    CHECK(int_field(m, "ttl") == 64);
    CHECK_FALSE(is_up(r.by_target.at("fd42:201::3")));
    const Metric& unreach = r.by_target.at("10.203.0.2");
    CHECK_FALSE(is_up(unreach));
    CHECK(int_field(unreach, "icmp_errors") >= 1);
    CHECK(int_field(unreach, "packets_received") == 0);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_unmatched_replies_total") == 0);
  }
  REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='1 0'") == 0);
}

TEST_CASE("icmp: a full send buffer defers requests instead of losing them", "[icmp][netns]") {
  NEED_NET();
  // A slow token bucket on the prober's link: requests pile up in the qdisc
  // and the socket's send buffer fills (EAGAIN).
  REQUIRE(rt::run_command("tc qdisc replace dev rq0 root tbf rate 8mbit burst 16kb latency 2s") == 0);
  rt::TempDir dir;
  auto file = write_targets(dir, "targets.txt", v4_range("10.200", 3000));
  for (const char* mode : {"raw", "unprivileged"}) {
    if (std::string(mode) == "unprivileged")
      REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='0 2147483647'") == 0);
    auto r = run_round("targets_file: " + file + "\ncount: 1\nrate: 0\ntimeout: 2s\nmode: " + mode);
    INFO("mode " << mode);
    CHECK(r.up == 3000);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_send_deferred_total") > 0);
    CHECK(self_metric(r.self_metrics, "routerpulse_icmp_send_errors_total") == 0);
  }
  rt::run_command("sysctl -qw net.ipv4.ping_group_range='1 0'");
  rt::run_command("tc qdisc del dev rq0 root");
}

// Run by the next test as user nobody (setpriv); hidden otherwise.
TEST_CASE("icmp child: a round as nobody", "[.icmp_child]") {
  const char* mode = std::getenv("ICMP_CHILD_MODE");
  REQUIRE(mode);
  REQUIRE(::geteuid() != 0);
  rt::Harness h;
  auto c = h.create(PluginKind::input, "icmp",
                    std::string("targets: [10.200.1.1, 10.200.1.2, 10.201.1.1, \"fd42:200::1\"]\ncount: 1\nrate: "
                                "0\ntimeout: 300ms\nmode: ") +
                        mode);
  h.start(*c, h.last_context());
  REQUIRE(h.gather(dynamic_cast<Input&>(*c), h.last_context()));
  std::string health = h.health.to_json();
  if (std::string(mode) == "unprivileged") {
    auto ms = h.emitted();
    REQUIRE(ms.size() == 4);
    int up = 0;
    for (auto& m : ms) up += std::get<bool>(*m.field("up")) ? 1 : 0;
    CHECK(up == 3);
  } else {
    // No ping_group_range and no CAP_NET_RAW: a clear error saying what to grant.
    CHECK(h.emitted_count() == 0);
    INFO(health);
    CHECK(health.find("unhealthy") != std::string::npos);
    CHECK(health.find("CAP_NET_RAW") != std::string::npos);
    CHECK(health.find("ping_group_range") != std::string::npos);
  }
  h.stop(*c, h.last_context());
  settle(h);
}

TEST_CASE("icmp: as an unprivileged user ping sockets work and no permission is a clear error", "[icmp][netns]") {
  NEED_NET();
  if (rt::run_command("command -v setpriv >/dev/null") != 0) {
    WARN("skipped: needs setpriv (util-linux)");
    return;
  }
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  exe[n] = 0;
  const std::string child = "ROUTERPULSE_BUILD_DIR=" + rt::build_dir() + " ROUTERPULSE_SOURCE_DIR=" + rt::source_dir() +
                            " timeout --foreground -s KILL 60 ip netns exec " + net->prober() +
                            " setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " + std::string(exe) +
                            " '[.icmp_child]' >/tmp/icmp-child-" + net->tag() + ".log 2>&1";
  REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='0 2147483647'") == 0);
  int rc = rt::run_command("ICMP_CHILD_MODE=unprivileged " + child);
  INFO(rt::read_file("/tmp/icmp-child-" + net->tag() + ".log"));
  CHECK(rc == 0);
  REQUIRE(rt::run_command("sysctl -qw net.ipv4.ping_group_range='1 0'") == 0);
  rc = rt::run_command("ICMP_CHILD_MODE=auto " + child);
  INFO(rt::read_file("/tmp/icmp-child-" + net->tag() + ".log"));
  CHECK(rc == 0);
  std::remove(("/tmp/icmp-child-" + net->tag() + ".log").c_str());
}
