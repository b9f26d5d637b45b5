// plugins/common: targets from a PostgreSQL query (refresh and LISTEN/NOTIFY)
// on the shared connection, against a real PostgreSQL of the test's own.
#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "harness.hpp"
#include "pg_fixture.hpp"
#include "targets/target_list.hpp"

using namespace routerpulse;
using namespace routerpulse::targets;
namespace rt = routerpulse::test;

namespace {

struct Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  Strand strand{boost::asio::make_strand(io)};
  std::thread thread{[this] { io.run(); }};
  ~Loop() {
    work.reset();
    io.stop();
    thread.join();
  }
  template <class F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(strand, [&task] { task(); });
    return fut.get();
  }
};

std::shared_ptr<spdlog::logger> quiet_log() {
  auto l = std::make_shared<spdlog::logger>("test");
  l->set_level(spdlog::level::off);
  return l;
}

}  // namespace

TEST_CASE("target list: targets from a PostgreSQL query, refreshed on NOTIFY", "[common][postgres]") {
  std::unique_ptr<rt::PgServer> pg;
  try {
    pg = std::make_unique<rt::PgServer>();
  } catch (const std::exception& e) {
    WARN("skipped: no PostgreSQL: " << e.what());
    return;
  }
  pg->sql(
      "create table probe_targets (ip text, site text, plan text);"
      "insert into probe_targets values ('10.1.0.1', 'north', null), ('10.1.0.2', 'south', 'home'),"
      " ('bad host', 'x', null);");
  Loop loop;
  TargetListConfig cfg;
  cfg.inline_targets = {{"10.0.0.1", {}, "inline"}};
  QueryConfig q;
  q.dsn = pg->dsn();
  q.sql = "select ip as address, site, plan from probe_targets order by ip";
  q.listen = "targets_changed";
  q.refresh = std::chrono::minutes(10);  // only NOTIFY makes it run again in this test
  q.option = "inputs.icmp.targets_query";
  cfg.query = q;
  auto list = std::make_shared<TargetList>(loop.strand, system_clock(), quiet_log(), cfg);
  std::atomic<int> changes{0};
  loop.run([&] {
    list->on_change = [&] { ++changes; };
    list->start();
    return 0;
  });
  CHECK_FALSE(list->ready());
  REQUIRE(rt::wait_until([&] { return changes.load() == 1; }, std::chrono::seconds(20)));
  auto cur = loop.run([&] { return list->current(); });
  REQUIRE(cur->size() == 3);  // inline + 2 good rows; the bad row is skipped
  CHECK(list->ready());
  CHECK(cur->at(1).name == "10.1.0.1");
  CHECK(cur->at(1).tags == TagList{{"site", "north"}});  // NULL plan left out
  CHECK(cur->at(2).tags == TagList{{"plan", "home"}, {"site", "south"}});
  pg->sql("insert into probe_targets values ('10.1.0.3', 'east', null); notify targets_changed;");
  REQUIRE(rt::wait_until([&] { return changes.load() == 2; }, std::chrono::seconds(20)));
  cur = loop.run([&] { return list->current(); });
  CHECK(cur->size() == 4);
  loop.run([&] {
    list->stop();
    return 0;
  });
}
