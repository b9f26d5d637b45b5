// SeriesStore on its own: the series cache keyed by TagSet (new tag values are
// new series, a new TagSet with the same labels takes a series over, expiry
// releases the held TagSets) and renders that run concurrently with writes.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <sstream>
#include <thread>

#include "../series_store.hpp"
#include "../tag_table.hpp"

using namespace routerpulse;
using namespace routerpulse::prom;
using namespace std::chrono_literals;

namespace {

const SteadyTime t0{};

TagSet tags(const std::string& user, const std::string& router = "pop1") {
  return make_tag_set({{"pppoe_user", user}, {"router", router}});
}

Metric sample(const TagSet& ts, uint64_t rx, double tx, MetricType type = MetricType::gauge) {
  static const Key rx_key("rx_bps"), tx_key("tx_bps");
  Metric m("pppoe_traffic", 0, type);
  m.set_tag_set(ts);
  m.set_field(rx_key, rx).set_field(tx_key, tx);
  return m;
}

std::string render(const SeriesStore& s) {
  std::string out;
  s.write(out);
  return out;
}

bool has_line(const std::string& body, const std::string& line) {
  return ("\n" + body).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("PtrTable: insert, find and erase keep every other key reachable") {
  PtrTable<int> t;
  std::vector<std::unique_ptr<int>> keys;  // distinct addresses
  for (int i = 0; i < 5000; ++i) keys.push_back(std::make_unique<int>(i));
  for (int i = 0; i < 5000; ++i) t.insert(keys[i].get(), std::make_unique<int>(i));
  t.insert(nullptr, std::make_unique<int>(-1));
  CHECK(t.size() == 5001);
  for (int i = 0; i < 5000; i += 3) t.erase(keys[i].get());
  t.erase(keys[0].get());  // absent: no effect
  int wrong = 0;
  for (int i = 0; i < 5000; ++i) {
    const int* v = t.find(keys[i].get());
    wrong += i % 3 == 0 ? v != nullptr : (!v || *v != i);
  }
  CHECK(wrong == 0);
  CHECK(*t.find(nullptr) == -1);
  t.erase(nullptr);
  CHECK(t.find(nullptr) == nullptr);
  CHECK(t.size() == 5000 - 1667);
}

TEST_CASE("a TagSet reused every round is rendered once and updates its series in place") {
  SeriesStore s({});
  const TagSet alice = tags("alice");
  for (uint64_t round = 1; round <= 3; ++round) {
    MetricBatch b{sample(alice, round, 0.5 * static_cast<double>(round))};
    auto st = s.update(b, t0);
    CHECK(st.samples == 2);
  }
  CHECK(s.size() == 2);
  CHECK(s.cached_tag_sets() == 1);
  const auto body = render(s);
  INFO(body);
  CHECK(has_line(body, "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop1\"} 3"));
  CHECK(has_line(body, "pppoe_traffic_tx_bps{pppoe_user=\"alice\",router=\"pop1\"} 1.5"));
  CHECK(has_line(body, "# TYPE pppoe_traffic_rx_bps gauge"));
}

TEST_CASE("changed tag values make new series; the old ones stay until they expire") {
  SeriesStore s({.expire_after = 10s});
  Metric m = sample(tags("alice"), 1, 1);
  s.update(MetricBatch{m}, t0);
  m.set_tag("router", "pop2");  // copy-on-write: a new TagSet
  s.update(MetricBatch{m}, t0 + 5s);
  CHECK(s.size() == 4);
  CHECK(s.cached_tag_sets() == 2);
  auto body = render(s);
  CHECK(has_line(body, "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop1\"} 1"));
  CHECK(has_line(body, "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop2\"} 1"));

  CHECK(s.expire(t0 + 11s) == 2);
  CHECK(s.cached_tag_sets() == 1);
  body = render(s);
  CHECK(body.find("router=\"pop1\"") == std::string::npos);
  CHECK(has_line(body, "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop2\"} 1"));
}

TEST_CASE("a new TagSet with the same labels takes the series over and the old TagSet is released") {
  SeriesStore s({});
  std::weak_ptr<const TagList> first;
  {
    const TagSet ts = tags("alice");
    first = ts;
    s.update(MetricBatch{sample(ts, 1, 1)}, t0);
  }
  CHECK_FALSE(first.expired());  // held by the cache
  // Inputs that build new tag lists every round: still one series each, and
  // the cache does not grow.
  for (uint64_t round = 2; round <= 5; ++round) s.update(MetricBatch{sample(tags("alice"), round, 1)}, t0);
  CHECK(first.expired());
  CHECK(s.size() == 2);
  CHECK(s.cached_tag_sets() == 1);
  CHECK(has_line(render(s), "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop1\"} 5"));

  // Tags that render alike (an empty value is no label) share the series too.
  auto with_empty = make_tag_set({{"comment", ""}, {"pppoe_user", "alice"}, {"router", "pop1"}});
  s.update(MetricBatch{sample(with_empty, 6, 1)}, t0);
  CHECK(s.size() == 2);
  CHECK(has_line(render(s), "pppoe_traffic_rx_bps{pppoe_user=\"alice\",router=\"pop1\"} 6"));
}

TEST_CASE("expiry releases the TagSets the cache held; metrics without tags or numbers hold nothing") {
  SeriesStore s({.expire_after = 10s});
  std::weak_ptr<const TagList> held;
  {
    const TagSet ts = tags("bob");
    held = ts;
    s.update(MetricBatch{sample(ts, 1, 1), sample(ts, 2, 2, MetricType::counter)}, t0);
  }
  Metric bare("up");
  bare.set_field("value", int64_t{1});
  Metric text("note");
  text.set_tag("x", "y").set_field("msg", std::string("hello"));
  std::weak_ptr<const TagList> text_tags = text.tag_set();
  auto st = s.update(MetricBatch{bare, text}, t0 + 1s);
  CHECK(st.samples == 1);
  CHECK(st.string_fields == 1);
  text = Metric();
  CHECK(text_tags.expired());  // a metric without samples binds nothing
  CHECK(s.size() == 5);
  CHECK(s.cached_tag_sets() == 2);  // bob's TagSet and "no tags"
  CHECK(has_line(render(s), "up_value 1"));

  CHECK(s.expire(t0 + 10s) == 0);  // exactly expire_after old: stays
  CHECK_FALSE(held.expired());
  CHECK(s.expire(t0 + 10s + 1ns) == 4);  // bob's gauge and counter series
  CHECK(held.expired());
  CHECK(s.cached_tag_sets() == 1);
  CHECK(s.expire(t0 + 12s) == 1);
  CHECK(s.size() == 0);
  CHECK(s.cached_tag_sets() == 0);
  CHECK(render(s).empty());

  // Slots are reused: a session that comes back is served again.
  s.update(MetricBatch{sample(tags("bob"), 7, 1)}, t0 + 20s);
  CHECK(has_line(render(s), "pppoe_traffic_rx_bps{pppoe_user=\"bob\",router=\"pop1\"} 7"));
  CHECK(s.size() == 2);
}

TEST_CASE("two fields that map to one series share it; expiring it unbinds both") {
  SeriesStore s({.expire_after = 10s});
  const TagSet ts = tags("carol");
  Metric m("icmp");
  m.set_tag_set(ts);
  m.set_field("rtt_ms", 1500.0).set_field("rtt_s", 2.0);  // both → icmp_rtt_seconds
  s.update(MetricBatch{m}, t0);
  s.update(MetricBatch{m}, t0);
  CHECK(s.size() == 1);
  CHECK(has_line(render(s), "icmp_rtt_seconds{pppoe_user=\"carol\",router=\"pop1\"} 2"));
  CHECK(s.expire(t0 + 11s) == 1);
  CHECK(s.cached_tag_sets() == 0);
}

TEST_CASE("a render concurrent with writes, creations and expiry is consistent") {
  // More series than one render chunk, so renders pause and resume many times.
  constexpr size_t kStable = 3 * SeriesStore::kRenderChunk;  // sessions that live throughout
  SeriesStore s({.expire_after = 1s});
  std::vector<TagSet> stable;
  for (size_t i = 0; i < kStable; ++i) stable.push_back(tags("s" + std::to_string(i)));
  MetricBatch all;
  for (const auto& ts : stable) all.push_back(sample(ts, 0, 0));
  s.update(all, t0);

  std::atomic<bool> run{true};
  std::atomic<uint64_t> rounds{0};
  std::thread writer([&] {
    // Stable sessions are rewritten every round; churn sessions appear and
    // expire (the clock advances 2 s per round, past expire_after).
    for (uint64_t r = 1; run; ++r) {
      const SteadyTime now = t0 + std::chrono::seconds(2 * r);
      MetricBatch b;
      for (const auto& ts : stable) b.push_back(sample(ts, r, 1));
      for (int c = 0; c < 50; ++c) b.push_back(sample(tags("churn" + std::to_string(c), std::to_string(r)), r, 1));
      Metric other("zz_new_family_" + std::to_string(r % 3));  // families come and go as well
      other.set_field("v", uint64_t{r});
      b.push_back(other);
      for (size_t i = 0; i < b.size(); i += 200) {
        BatchView v;
        for (size_t j = i; j < std::min(b.size(), i + 200); ++j) v.add(&b[j]);
        s.update(v, now);
      }
      s.expire(now);
      ++rounds;
    }
  });

  int checked = 0;
  while (checked < 30 || rounds < 5) {
    const std::string body = render(s);
    std::istringstream in(body);
    std::string line, family;
    std::set<std::string> families, series;
    size_t stable_rx = 0;
    bool ok = true;
    while (std::getline(in, line)) {
      if (line.rfind("# HELP ", 0) == 0) {
        const std::string name = line.substr(7, line.find(' ', 7) - 7);
        ok = ok && (families.empty() || name > *families.rbegin()) && families.insert(name).second;
        family = name;
      } else if (line.rfind("# TYPE ", 0) == 0) {
        ok = ok && line.rfind("# TYPE " + family + " ", 0) == 0;
      } else {
        const std::string id = line.substr(0, line.rfind(' '));
        ok = ok && line.rfind(family, 0) == 0 && (line[family.size()] == '{' || line[family.size()] == ' ');
        ok = ok && series.insert(id).second;  // every series at most once
        if (id.rfind("pppoe_traffic_rx_bps{pppoe_user=\"s", 0) == 0) ++stable_rx;
      }
    }
    INFO(body.substr(0, 2000));
    REQUIRE(ok);
    REQUIRE(stable_rx == kStable);  // series that exist throughout are all there
    ++checked;
  }
  run = false;
  writer.join();
}
