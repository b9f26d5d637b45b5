// icmp with targets from PostgreSQL (targets_query + targets_listen), probing
// loopback addresses only (raw socket: root; skipped otherwise).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>

#include "harness.hpp"
#include "pg_fixture.hpp"

using namespace routerpulse;
namespace rt = routerpulse::test;

TEST_CASE("icmp: targets_query rows become targets with their columns as tags; NOTIFY adds one", "[icmp][postgres]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for a raw ICMP socket");
    return;
  }
  std::unique_ptr<rt::PgServer> pg;
  try {
    pg = std::make_unique<rt::PgServer>();
  } catch (const std::exception& e) {
    WARN("skipped: no PostgreSQL: " << e.what());
    return;
  }
  pg->sql(
      "create table cpes (ip inet, customer text, site text);"
      "insert into cpes values ('127.0.0.2', 'C-1001', 'north'), ('127.0.0.3', 'C-1002', null);");
  rt::Harness h;
  auto c = h.create(PluginKind::input, "icmp",
                    "targets_dsn: \"" + pg->dsn() +
                        "\"\n"
                        "targets_query: select host(ip) as address, customer, site from cpes order by ip\n"
                        "targets_listen: cpes_changed\n"
                        "count: 1\nrate: 0\ntimeout: 500ms\nmode: raw\n");
  auto& in = dynamic_cast<Input&>(*c);
  h.start(*c, h.last_context());
  // Rounds before the first answer of the query emit nothing.
  REQUIRE(rt::wait_until(
      [&] {
        h.gather(in, h.last_context());
        return h.emitted_count() > 0;
      },
      std::chrono::seconds(20)));
  auto ms = h.emitted();
  REQUIRE(ms.size() == 2);
  std::map<std::string, Metric> by;
  for (auto& m : ms) by.emplace(*m.tag("target"), m);
  CHECK(*by.at("127.0.0.2").tag("customer") == "C-1001");
  CHECK(*by.at("127.0.0.2").tag("site") == "north");
  CHECK_FALSE(by.at("127.0.0.3").tag("site"));  // NULL: no tag
  CHECK(std::get<bool>(*by.at("127.0.0.3").field("up")));
  pg->sql("insert into cpes values ('127.0.0.4', 'C-1003', 'south'); notify cpes_changed;");
  REQUIRE(rt::wait_until(
      [&] {
        h.clear_emitted();
        h.gather(in, h.last_context());
        return h.emitted_count() == 3;
      },
      std::chrono::seconds(20)));
  h.stop(*c, h.last_context());
  // Let the handlers stop() cancelled run while the plugin is still loaded
  // (the Harness unloads plugins before destroying its io_context).
  for (int i = 0; i < 3; ++i) h.run_on(h.last_context(), [] {});
}
