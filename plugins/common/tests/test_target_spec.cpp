// plugins/common: target lines, files and inline lists.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "targets/target_spec.hpp"

using namespace routerpulse;
using namespace routerpulse::targets;
namespace rt = routerpulse::test;

TEST_CASE("addresses and host names are classified by RFC 1123 / inet_pton", "[common]") {
  CHECK(classify_address("10.0.0.1") == AddressKind::ipv4);
  CHECK(classify_address("2001:db8::1") == AddressKind::ipv6);
  CHECK(classify_address("fe80::1%eth0") == AddressKind::invalid);
  CHECK(classify_address("core-1.pop.example.net") == AddressKind::hostname);
  CHECK(classify_address("core-1.pop.example.net.") == AddressKind::hostname);
  CHECK(classify_address("10.0.0.300") == AddressKind::invalid);  // all digits: not a name
  CHECK(classify_address("-bad.example") == AddressKind::invalid);
  CHECK(classify_address("a..b") == AddressKind::invalid);
  CHECK(classify_address("under_score.example") == AddressKind::invalid);
  CHECK(classify_address(std::string(64, 'a') + ".example") == AddressKind::invalid);
  CHECK(classify_address("") == AddressKind::invalid);
}

TEST_CASE("a target line: address, tags, comments", "[common]") {
  TargetSpec t;
  LineError e;
  REQUIRE(parse_target_line("  cpe-7.example  plan=home site=north # the shop", t, e));
  CHECK(t.name == "cpe-7.example");
  REQUIRE(t.tags.size() == 2);
  CHECK(t.tags[0] == Tag{"plan", "home"});
  CHECK(t.tags[1] == Tag{"site", "north"});
  REQUIRE(parse_target_line("# only a comment", t, e));
  CHECK(t.name.empty());
  CHECK_FALSE(parse_target_line("10.0.0.1 site=a site=b", t, e));
  CHECK(e.column == 17);
  CHECK(e.message == "tag site is given twice");
  CHECK_FALSE(parse_target_line("10.0.0.1 =x", t, e));
  CHECK(e.column == 10);
  CHECK_FALSE(parse_target_line("10.0.0.1 target=x", t, e));
  CHECK(e.message == "tag target is set by the plugin itself; choose another key");
  CHECK_FALSE(parse_target_line("10.0.0.1 site=", t, e));
  CHECK(e.message == "tag site has an empty value");
}

TEST_CASE("a targets file: file:line:col errors, duplicates, origins", "[common]") {
  auto list = parse_targets_text("10.0.0.1\n\n# x\n10.0.0.2 a=b\r\n", "t.txt", "inputs.icmp.targets_file");
  REQUIRE(list.size() == 2);
  CHECK(list[1].origin == "t.txt:4");
  CHECK(list[1].tags[0] == Tag{"a", "b"});
  CHECK_THROWS_WITH(parse_targets_text("10.0.0.1\nnot_a_host\n", "t.txt", "opt"),
                    "t.txt:2:1: opt: \"not_a_host\" is not an IPv4/IPv6 address or a host name");
  CHECK_THROWS_WITH(parse_targets_text("10.0.0.1 a=b\n10.0.0.1 a=b\n", "t.txt", "opt"),
                    "t.txt:2:1: opt: target 10.0.0.1 is listed twice with the same tags");
  // The same address with other tags is another target.
  CHECK(parse_targets_text("10.0.0.1 a=b\n10.0.0.1 a=c\n", "t.txt", "opt").size() == 2);
  CHECK_THROWS_WITH(read_targets_file("/nonexistent/t.txt", "opt"),
                    Catch::StartsWith("/nonexistent/t.txt: opt: cannot read"));
}

TEST_CASE("inline targets: strings and maps, errors at the entry", "[common]") {
  auto file = std::make_shared<const std::string>("agent.yaml");
  auto opts = [&](const std::string& y) { return Options(rt::yaml(y), "inputs.icmp", file); };
  auto list = read_inline_targets(
      opts("targets:\n  - 10.0.0.1 site=a\n  - {address: 'core1.example', tags: {role: core, site: b}}\n"), "targets");
  REQUIRE(list.size() == 2);
  CHECK(list[0].origin == "agent.yaml:2:5");
  CHECK(list[1].name == "core1.example");
  CHECK(list[1].tags == TagList{{"role", "core"}, {"site", "b"}});
  CHECK_THROWS_WITH(read_inline_targets(opts("targets: [{address: 10.0.0.1, tag: {a: b}}]"), "targets"),
                    Catch::Contains("unknown"));
  CHECK_THROWS_WITH(read_inline_targets(opts("targets: [{tags: {a: b}}]"), "targets"),
                    "agent.yaml:1:11: inputs.icmp.targets[0]: needs address: an IPv4/IPv6 address or a host name");
  CHECK_THROWS_WITH(read_inline_targets(opts("targets: [[1]]"), "targets"),
                    Catch::Contains("agent.yaml:1:11: inputs.icmp.targets[0]: expected an address string"));
  CHECK(read_inline_targets(opts("other: 1"), "targets").empty());
}

TEST_CASE("device lists (NameRule::device): MACs, addresses and identities", "[common]") {
  CHECK(valid_name("4C:5E:0C:11:22:33", NameRule::device));
  CHECK(valid_name("sector-north_1", NameRule::device));  // an identity need not be a host name
  CHECK(valid_name("10.0.0.1", NameRule::device));
  CHECK_FALSE(valid_name("a=b", NameRule::device));
  CHECK_FALSE(valid_name(std::string(254, 'a'), NameRule::device));
  CHECK_FALSE(valid_name("4C:5E:0C:11:22:33", NameRule::address));
  auto list = parse_targets_text("4C:5E:0C:11:22:33 site=north\nsector-north_1\n", "d.txt", "opt", NameRule::device);
  REQUIRE(list.size() == 2);
  CHECK(list[1].name == "sector-north_1");
  CHECK_THROWS_WITH(parse_targets_text("ok\n  bad#x\n", "d.txt", "opt", NameRule::device),
                    "d.txt:2:3: opt: \"bad#x\" is not a MAC address, IP address or device identity");
  auto file = std::make_shared<const std::string>("agent.yaml");
  auto opts = [&](const std::string& y) { return Options(rt::yaml(y), "inputs.neighbors", file); };
  auto inl = read_inline_targets(opts("known: [{device: sector-1, tags: {role: ap}}]"), "known", NameRule::device);
  REQUIRE(inl.size() == 1);
  CHECK(inl[0].tags == TagList{{"role", "ap"}});
  CHECK_THROWS_WITH(read_inline_targets(opts("known: [{address: 10.0.0.1}]"), "known", NameRule::device),
                    Catch::Contains("unknown"));
  CHECK_THROWS_WITH(
      read_inline_targets(opts("known: [{tags: {a: b}}]"), "known", NameRule::device),
      "agent.yaml:1:9: inputs.neighbors.known[0]: needs device: a MAC address, IP address or device identity");
}
