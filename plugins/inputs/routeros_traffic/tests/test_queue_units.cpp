// routeros_traffic simple-queue unit tests: queue settings, name patterns,
// queue → customer matching (name, pattern, PPPoE address, static target),
// and /queue/simple rows → customer_queue metrics (pairs in the customer's
// direction, utilisation, unlimited queues, disabled queues, bad values,
// tag-set reuse and forgetting queues that are gone).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "queue_match.hpp"
#include "queue_options.hpp"
#include "queue_poll.hpp"
#include "traffic_input.hpp"
#include "traffic_options.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros_traffic;
namespace rr = routerpulse::routeros;

namespace {

rr::Reply row(rr::Attributes attrs) {
  rr::Reply r;
  r.type = rr::ReplyType::re;
  r.attributes = std::move(attrs);
  return r;
}

Options opts(const std::string& yaml, const std::string& file = "<test>") {
  return Options(test::yaml(yaml), "inputs.routeros_traffic", std::make_shared<const std::string>(file),
                 {TrafficInput::options});
}

std::string read_error(const std::string& yaml) {
  try {
    (void)QueueOptions::read(opts(yaml));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

PppoeSession session(std::string id, std::string user, std::string address) {
  PppoeSession s;
  s.id = std::move(id);
  s.user = std::move(user);
  s.interface = pppoe_interface(s.user);
  s.address = std::move(address);
  return s;
}

std::unordered_map<std::string, PppoeSession> sessions_of(std::initializer_list<PppoeSession> list) {
  std::unordered_map<std::string, PppoeSession> m;
  for (const auto& s : list) m.emplace(s.id, s);
  return m;
}

targets::TargetSpec static_target(std::string address, TagList tags) {
  targets::TargetSpec t;
  t.name = std::move(address);
  t.tags = std::move(tags);
  std::sort(t.tags.begin(), t.tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  return t;
}

/// A full /queue/simple row (upload/download pairs).
rr::Reply queue(const std::string& id, const std::string& name, const std::string& target, const std::string& max_limit,
                const std::string& rate, bool disabled = false) {
  return row({{".id", id},
              {"name", name},
              {"target", target},
              {"disabled", disabled ? "true" : "false"},
              {"dynamic", "false"},
              {"max-limit", max_limit},
              {"limit-at", "0/0"},
              {"burst-limit", "0/0"},
              {"rate", rate},
              {"bytes", "1000/9000"},
              {"packets", "10/90"},
              {"dropped", "1/7"},
              {"queued-bytes", "0/1500"}});
}

const Metric* by_queue(const MetricBatch& b, const std::string& queue) {
  for (const auto& m : b)
    if (m.tag("queue") && *m.tag("queue") == queue) return &m;
  return nullptr;
}

uint64_t u64(const Metric& m, const std::string& f) {
  const FieldValue* v = m.field(f);
  REQUIRE(v);
  REQUIRE(std::holds_alternative<uint64_t>(*v));
  return std::get<uint64_t>(*v);
}

}  // namespace

TEST_CASE("queue settings: queues modes, patterns, static targets, errors with line and column",
          "[routeros_traffic][queues][unit]") {
  const QueueOptions d = QueueOptions::read(opts("{}"));
  CHECK(d.mode == QueueMode::pppoe);  // the table's default
  CHECK(d.patterns.empty());
  CHECK_FALSE(d.has_static());
  CHECK(TrafficOptions::read(opts("{}")).queues.mode == QueueMode::pppoe);

  CHECK(QueueOptions::read(opts("queues: none")).mode == QueueMode::none);
  CHECK(QueueOptions::read(opts("queues: all")).mode == QueueMode::all);
  const QueueOptions g = QueueOptions::read(opts("queues: ['<pppoe-*>', 'vip-*']"));
  CHECK(g.mode == QueueMode::globs);
  CHECK(g.globs == std::vector<std::string>{"<pppoe-*>", "vip-*"});
  const QueueOptions s = QueueOptions::read(
      opts("queue_name_patterns: ['customer-{user}', '{user}']\n"
           "static_targets: ['10.20.0.2 customer_id=C-1', {address: 10.20.0.3, tags: {customer_id: C-2}}]"));
  REQUIRE(s.patterns.size() == 2);
  CHECK(s.patterns[0].text() == "customer-{user}");
  REQUIRE(s.static_inline.size() == 2);
  CHECK(s.static_inline[1].name == "10.20.0.3");

  CHECK(read_error("queues: some") ==
        "<test>:1:9: inputs.routeros_traffic.queues: expected none, pppoe, all or a list of queue-name globs, got "
        "\"some\"");
  CHECK(read_error("queues: []") ==
        "<test>:1:9: inputs.routeros_traffic.queues: an empty list selects no queue: use `none`");
  CHECK(read_error("queues: [a, '']") == "<test>:1:13: inputs.routeros_traffic.queues[1]: globs must not be empty");
  CHECK(read_error("queue_name_patterns: ['ok-{user}', customer-]") ==
        "<test>:1:36: inputs.routeros_traffic.queue_name_patterns[1]: \"customer-\" needs {user} where the PPPoE "
        "user name stands, e.g. customer-{user}");
  CHECK(read_error("queue_name_patterns: ['{user}-{user}']") ==
        "<test>:1:23: inputs.routeros_traffic.queue_name_patterns[0]: \"{user}-{user}\" may contain {user} only once "
        "and no other { or }");
  CHECK(read_error("static_targets: ['10.0.0.300']") ==
        "<test>:1:19: inputs.routeros_traffic.static_targets[0]: \"10.0.0.300\" is not an IPv4/IPv6 address or a "
        "host name");
  CHECK(read_error("queues: none\nqueue_name_patterns: ['c-{user}']") ==
        "<test>:2:22: inputs.routeros_traffic.queue_name_patterns: is only used with queues (it is `none`)");
  CHECK_THAT(read_error("static_targets_file: /nonexistent/static.txt"), Catch::Contains("/nonexistent/static.txt"));
}

TEST_CASE("queue settings: static_targets_file is read relative to the config and checked by line",
          "[routeros_traffic][queues][unit]") {
  const auto dir = std::filesystem::temp_directory_path() / ("rp_queue_units_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "static.txt") << "# static customers\n10.20.0.2 customer_id=C-1 router=r0\n10.20.0.3 x=\n";
  try {
    (void)QueueOptions::read(opts("static_targets_file: static.txt", (dir / "agent.yaml").string()));
    FAIL("a bad line must be refused");
  } catch (const ConfigError& e) {
    CHECK(e.file() == (dir / "static.txt").string());
    CHECK(e.line() == 3);
    CHECK(e.option() == "inputs.routeros_traffic.static_targets_file");
  }
  std::ofstream(dir / "static.txt") << "10.20.0.2 customer_id=C-1 router=r0\n";
  const QueueOptions q = QueueOptions::read(opts("static_targets_file: static.txt", (dir / "agent.yaml").string()));
  CHECK(q.static_file == (dir / "static.txt").string());
  CHECK(q.has_static());
  std::filesystem::remove_all(dir);
}

TEST_CASE("queue name patterns take the user out of the name", "[routeros_traffic][queues][unit]") {
  std::string why;
  auto p = NamePattern::parse("customer-{user}", why);
  REQUIRE(p);
  CHECK(p->user_of("customer-alice") == "alice");
  CHECK(p->user_of("customer-") == "");  // the user part must not be empty
  CHECK(p->user_of("vip-alice") == "");
  auto q = NamePattern::parse("q_{user}_home", why);
  REQUIRE(q);
  CHECK(q->user_of("q_bob_home") == "bob");
  CHECK(q->user_of("q_bob_office") == "");
  auto any = NamePattern::parse("{user}", why);
  REQUIRE(any);
  CHECK(any->user_of("carol") == "carol");
  CHECK_FALSE(NamePattern::parse("customer", why));
  CHECK_FALSE(NamePattern::parse("{user}{x}", why));
}

TEST_CASE("target addresses: comma lists, prefixes, interface names", "[routeros_traffic][queues][unit]") {
  std::vector<std::string> seen;
  auto collect = [&](std::string_view t) {
    seen.clear();
    for_each_target_address(t, [&](std::string_view a) {
      seen.emplace_back(a);
      return false;
    });
    return seen;
  };
  CHECK(collect("10.0.0.1/32") == std::vector<std::string>{"10.0.0.1"});
  CHECK(collect("10.0.0.1/32,10.0.0.2") == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  CHECK(collect("2001:db8::5/128") == std::vector<std::string>{"2001:db8::5"});
  CHECK(collect("<pppoe-alice>").empty());
  CHECK(collect("ether1,10.1.1.1/32").size() == 1);
  CHECK(collect("").empty());
}

TEST_CASE("matching: by <pppoe-USER> name, by pattern, by PPPoE address, by static target, in that order",
          "[routeros_traffic][queues][unit]") {
  std::string why;
  std::vector<NamePattern> patterns{*NamePattern::parse("customer-{user}", why), *NamePattern::parse("{user}", why)};
  QueueMatcher m("r0", patterns);
  const auto sessions = sessions_of(
      {session("*1", "alice", "100.64.0.1"), session("*2", "bob", "100.64.0.2"), session("*3", "carol", "100.64.0.3")});
  m.set_sessions(&sessions);
  std::vector<targets::TargetSpec> statics{static_target("10.20.0.2", {{"customer_id", "C-1"}}),
                                           static_target("10.20.0.3", {{"customer_id", "C-2"}, {"router", "r1"}}),
                                           static_target("100.64.0.3", {{"customer_id", "C-3"}})};
  m.set_static(statics);

  auto o = m.match("<pppoe-alice>", "<pppoe-alice>");
  CHECK(o.rule == MatchRule::pppoe_name);
  CHECK(o.pppoe_user == "alice");
  o = m.match("<pppoe-dave>", "<pppoe-dave>");  // the name alone says who it is
  CHECK(o.rule == MatchRule::pppoe_name);
  CHECK(o.pppoe_user == "dave");

  o = m.match("customer-bob", "192.0.2.1/32");
  CHECK(o.rule == MatchRule::pattern);
  CHECK(o.pppoe_user == "bob");
  o = m.match("bob", "");  // second pattern
  CHECK(o.rule == MatchRule::pattern);
  CHECK(o.pppoe_user == "bob");
  o = m.match("customer-zed", "");  // not an active PPPoE user: no pattern claims it
  CHECK(o.rule == MatchRule::none);
  o = m.match("uplink-limit", "ether1");
  CHECK(o.rule == MatchRule::none);  // `{user}` does not claim every queue

  o = m.match("limit-7", "100.64.0.2/32");
  CHECK(o.rule == MatchRule::pppoe_address);
  CHECK(o.pppoe_user == "bob");
  o = m.match("limit-8", "192.0.2.9/32,100.64.0.3/32");  // a PPPoE address wins over a static target
  CHECK(o.rule == MatchRule::pppoe_address);
  CHECK(o.pppoe_user == "carol");

  o = m.match("static-1", "10.20.0.2/32");
  CHECK(o.rule == MatchRule::static_target);
  REQUIRE(o.static_target);
  CHECK(o.static_target->tags.front().value == "C-1");
  CHECK(o.pppoe_user.empty());
  o = m.match("static-2", "10.20.0.3/32");  // that target's gateway is r1
  CHECK(o.rule == MatchRule::none);

  // Without PPPoE tracking (`pppoe: none`): names and patterns still match, addresses cannot.
  m.set_sessions(nullptr);
  o = m.match("customer-zed", "");
  CHECK(o.rule == MatchRule::pattern);
  CHECK(o.pppoe_user == "zed");
  o = m.match("limit-7", "100.64.0.2/32");  // `{user}` alone now claims every name
  CHECK(o.rule == MatchRule::pattern);
  CHECK(o.pppoe_user == "limit-7");
  std::vector<NamePattern> none;
  QueueMatcher plain("r0", none);
  plain.set_sessions(nullptr);
  CHECK(plain.match("limit-7", "100.64.0.2/32").rule == MatchRule::none);
  plain.set_sessions(&sessions);
  CHECK(plain.match("limit-7", "100.64.0.2/32").rule == MatchRule::pppoe_address);
}

TEST_CASE("customer_queue: pairs in the customer's direction, utilisation, unlimited",
          "[routeros_traffic][queues][unit]") {
  const QueueOptions o = QueueOptions::read(opts("queues: all"));
  QueuePoll poll("r0", o);
  const auto sessions = sessions_of({session("*1", "alice", "100.64.0.1")});
  std::vector<rr::Reply> rows{
      queue("*10", "<pppoe-alice>", "<pppoe-alice>", "10M/50M", "2500000/40000000"),
      queue("*11", "open", "10.9.9.9/32", "0/0", "1200/48000"),
      queue("*12", "half", "10.9.9.8/32", "0/20M", "1000/5000000"),
      queue("*13", "off", "10.9.9.7/32", "1M/1M", "0/0", /*disabled=*/true),
  };
  MetricBatch out;
  auto st = poll.process(rows, &sessions, 42, out);
  CHECK(st.queues == 3);
  CHECK(st.reported == 3);
  CHECK(st.unmatched == 2);
  CHECK(st.bad_values == 0);
  REQUIRE(out.size() == 3);

  const Metric* a = by_queue(out, "<pppoe-alice>");
  REQUIRE(a);
  INFO(to_line_protocol(*a));
  CHECK(a->name() == "customer_queue");
  CHECK(a->time() == 42);
  CHECK(a->tags() ==
        TagList{{"pppoe_user", "alice"}, {"queue", "<pppoe-alice>"}, {"router", "r0"}, {"target", "<pppoe-alice>"}});
  CHECK(u64(*a, "upload_limit_bps") == 10000000);  // first = the target's upload
  CHECK(u64(*a, "download_limit_bps") == 50000000);
  CHECK(u64(*a, "upload_bps") == 2500000);
  CHECK(u64(*a, "download_bps") == 40000000);
  CHECK(u64(*a, "upload_bytes") == 1000);
  CHECK(u64(*a, "download_bytes") == 9000);
  CHECK(u64(*a, "upload_packets") == 10);
  CHECK(u64(*a, "download_packets") == 90);
  CHECK(u64(*a, "upload_dropped") == 1);
  CHECK(u64(*a, "download_dropped") == 7);
  CHECK(u64(*a, "upload_queued_bytes") == 0);
  CHECK(u64(*a, "download_queued_bytes") == 1500);
  CHECK(std::get<double>(*a->field("download_utilization")) == Approx(0.8));
  CHECK(std::get<double>(*a->field("upload_utilization")) == Approx(0.25));
  CHECK_FALSE(a->field("download_limit_at_bps"));  // limit-at 0/0: not set
  CHECK_FALSE(a->field("upload_burst_limit_bps"));

  const Metric* open = by_queue(out, "open");
  REQUIRE(open);
  CHECK_FALSE(open->tag("pppoe_user"));
  CHECK(*open->tag("target") == "10.9.9.9/32");
  CHECK_FALSE(open->field("download_limit_bps"));  // 0 = unlimited
  CHECK_FALSE(open->field("upload_limit_bps"));
  CHECK_FALSE(open->field("download_utilization"));
  CHECK_FALSE(open->field("upload_utilization"));
  CHECK(u64(*open, "download_bps") == 48000);

  const Metric* half = by_queue(out, "half");  // unlimited upload, 20M download
  REQUIRE(half);
  CHECK(u64(*half, "download_limit_bps") == 20000000);
  CHECK_FALSE(half->field("upload_limit_bps"));
  CHECK(std::get<double>(*half->field("download_utilization")) == Approx(0.25));
  CHECK_FALSE(half->field("upload_utilization"));
  CHECK_FALSE(by_queue(out, "off"));  // disabled: shapes nothing
}

TEST_CASE("customer_queue: queue selection by mode, static target tags, bad values",
          "[routeros_traffic][queues][unit]") {
  std::vector<rr::Reply> rows{
      queue("*1", "<pppoe-alice>", "<pppoe-alice>", "10M/50M", "1/2"),
      queue("*2", "static-1", "10.20.0.2/32", "512k/2M", "1000/1000000"),
      queue("*3", "uplink", "ether1", "1G/1G", "1/1"),
  };
  const auto sessions = sessions_of({session("*1", "alice", "100.64.0.1")});

  SECTION("pppoe: only queues matched to a customer; a static target's tags are added") {
    const QueueOptions o = QueueOptions::read(opts("queues: pppoe"));
    QueuePoll poll("r0", o);
    poll.set_static_targets({static_target("10.20.0.2", {{"customer_id", "C-1"}, {"queue", "ignored"}})});
    MetricBatch out;
    auto st = poll.process(rows, &sessions, 1, out);
    CHECK(st.unmatched == 1);
    REQUIRE(out.size() == 2);
    const Metric* s = by_queue(out, "static-1");
    REQUIRE(s);
    CHECK(s->tags() ==
          TagList{{"customer_id", "C-1"}, {"queue", "static-1"}, {"router", "r0"}, {"target", "10.20.0.2/32"}});
    CHECK(std::get<double>(*s->field("download_utilization")) == Approx(0.5));
    CHECK(std::get<double>(*s->field("upload_utilization")) == Approx(1000.0 / 512000));
    CHECK_FALSE(by_queue(out, "uplink"));
  }
  SECTION("globs: by queue name, matched or not") {
    const QueueOptions o = QueueOptions::read(opts("queues: ['up*', 'static-*']"));
    QueuePoll poll("r0", o);
    MetricBatch out;
    poll.process(rows, &sessions, 1, out);
    REQUIRE(out.size() == 2);
    CHECK(by_queue(out, "uplink"));
    CHECK(by_queue(out, "static-1"));
  }
  SECTION("an unparsable or missing value leaves its fields out and is counted") {
    const QueueOptions o = QueueOptions::read(opts("queues: all"));
    QueuePoll poll("r0", o);
    std::vector<rr::Reply> bad{row({{".id", "*9"},
                                    {"name", "odd"},
                                    {"max-limit", "fast/50M"},
                                    {"rate", "1/2"},
                                    {"bytes", "1k/2"},
                                    {"packets", "1/2"},
                                    {"dropped", "1/2"}})};
    MetricBatch out;
    auto st = poll.process(bad, nullptr, 1, out);
    CHECK(st.bad_values == 3);  // max-limit, bytes, queued-bytes (absent)
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].field("download_limit_bps"));
    CHECK_FALSE(out[0].field("download_utilization"));
    CHECK_FALSE(out[0].field("download_bytes"));
    CHECK(u64(out[0], "download_bps") == 2);
    CHECK_FALSE(out[0].tag("target"));
  }
}

TEST_CASE("customer_queue: tag sets are reused while a queue stays, rebuilt when it changes, forgotten when gone",
          "[routeros_traffic][queues][unit]") {
  const QueueOptions o = QueueOptions::read(opts("queues: all"));
  QueuePoll poll("r0", o);
  auto sessions = sessions_of({session("*1", "alice", "100.64.0.1")});
  std::vector<rr::Reply> rows{queue("*1", "limit-a", "100.64.0.1/32", "1M/1M", "1/1"),
                              queue("*2", "limit-b", "100.64.0.2/32", "1M/1M", "1/1")};
  MetricBatch first, second, third;
  poll.process(rows, &sessions, 1, first);
  poll.process(rows, &sessions, 2, second);
  REQUIRE(first.size() == 2);
  REQUIRE(second.size() == 2);
  CHECK(first[0].tag_set().get() == second[0].tag_set().get());  // no tags rebuilt
  CHECK(*first[0].tag("pppoe_user") == "alice");

  // PPPoE churn: the address now belongs to another user; limit-b is gone.
  sessions = sessions_of({session("*7", "erin", "100.64.0.1")});
  poll.process({rows[0]}, &sessions, 3, third);
  REQUIRE(third.size() == 1);
  CHECK(*third[0].tag("pppoe_user") == "erin");
  CHECK(poll.cached() == 1);
}
