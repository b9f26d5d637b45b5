// plugins/common: the merged target list, file reloads, the resolver.
#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "harness.hpp"
#include "targets/resolver.hpp"
#include "targets/target_list.hpp"

using namespace routerpulse;
using namespace routerpulse::targets;
namespace rt = routerpulse::test;

namespace {

/// An io_context on a thread, and a way to run code on a strand and wait.
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

TEST_CASE("target list: inline + file merged, file reloaded on change, bad reload keeps the list", "[common]") {
  Loop loop;
  rt::TempDir dir;
  rt::write_file(dir.file("t.txt"), "10.0.0.1\n10.0.0.2 site=a\n");
  TargetListConfig cfg;
  cfg.inline_targets = {{"10.0.0.1", {}, "inline"}, {"10.9.9.9", {}, "inline"}};
  cfg.file = dir.file("t.txt");
  cfg.file_option = "inputs.icmp.targets_file";
  auto list = std::make_shared<TargetList>(loop.strand, system_clock(), quiet_log(), cfg);
  REQUIRE(list->current()->size() == 3);  // 10.0.0.1 once
  CHECK(list->ready());
  const uint64_t v = list->version();
  CHECK_FALSE(loop.run([&] { return list->check_file(); }));  // unchanged: one stat
  rt::write_file(dir.file("t.txt"), "10.0.0.1\n10.0.0.2 site=b\n10.0.0.3\n");
  CHECK(loop.run([&] { return list->check_file(); }));
  CHECK(list->version() > v);
  REQUIRE(list->current()->size() == 4);
  CHECK(list->current()->at(2).tags[0].value == "b");
  rt::write_file(dir.file("t.txt"), "10.0.0.1\n10.0.0.x/24\n");
  CHECK_FALSE(loop.run([&] { return list->check_file(); }));
  CHECK(list->current()->size() == 4);
  CHECK(list->file_errors() == 1);
  CHECK_THROWS_WITH(std::make_shared<TargetList>(loop.strand, system_clock(), quiet_log(), cfg),
                    dir.file("t.txt") +
                        ":2:1: inputs.icmp.targets_file: \"10.0.0.x/24\" is not an IPv4/IPv6 "
                        "address or a host name");
}

TEST_CASE("resolver: literals at once, names asynchronously, failures reported and retried", "[common]") {
  Loop loop;
  auto r = std::make_shared<Resolver>(loop.strand, system_clock(), std::chrono::minutes(5));
  std::atomic<int> done{0};
  loop.run([&] {
    r->on_done = [&](const std::string&, const Resolver::Entry&) { ++done; };
    return 0;
  });
  auto lit = loop.run([&] { return r->lookup("2001:db8::5"); });
  REQUIRE(lit.address);
  CHECK(lit.address->is_v6());
  loop.run([&] {
    r->lookup("localhost");
    r->lookup("no-such-host.invalid");
    return 0;
  });
  REQUIRE(rt::wait_until([&] { return done.load() == 2; }, std::chrono::seconds(20)));
  auto lh = loop.run([&] { return r->lookup("localhost"); });
  REQUIRE(lh.address);
  CHECK(lh.address->is_loopback());
  auto bad = loop.run([&] { return r->lookup("no-such-host.invalid"); });  // failed: looked up again
  CHECK_FALSE(bad.address);
  CHECK_FALSE(bad.error.empty());
  CHECK(bad.in_flight);
  loop.run([&] {
    r->stop();
    return 0;
  });
}
