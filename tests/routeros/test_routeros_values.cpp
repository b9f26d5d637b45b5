// RouterOS value parsers and the legacy login response.
#include <catch2/catch.hpp>

#include "routerpulse/routeros/session.hpp"
#include "routerpulse/routeros/values.hpp"

using namespace routerpulse::routeros;
using namespace std::chrono;

TEST_CASE("durations in RouterOS forms", "[values]") {
  auto s = [](std::string_view t) { return parse_ros_duration(t); };
  CHECK(s("1w2d3h4m5s") == weeks(1) + days(2) + hours(3) + minutes(4) + seconds(5));
  CHECK(s("10ms") == milliseconds(10));
  CHECK(s("5s200ms") == milliseconds(5200));
  CHECK(s("1d00:05:03") == days(1) + minutes(5) + seconds(3));
  CHECK(s("2w3d04:05:06") == weeks(2) + days(3) + hours(4) + minutes(5) + seconds(6));
  CHECK(s("00:05:03") == minutes(5) + seconds(3));
  CHECK(s("00:00:01.5") == milliseconds(1500));
  CHECK(s("1h") == hours(1));
  CHECK(s("500us") == microseconds(500));
  CHECK(s("0") == nanoseconds(0));
  CHECK(s("0s") == nanoseconds(0));
  for (auto bad : {"", "never", "-1s", "1x", "1h1h", "00:60:00", "1:2:3", "5", "1d00:05", "s", "99999999999w"})
    CHECK_FALSE(s(bad).has_value());
  CHECK(parse_ros_duration_seconds("1m30s") == Approx(90.0));
}

TEST_CASE("format_ros_duration is read back by parse_ros_duration", "[values]") {
  for (auto d :
       {nanoseconds(0), nanoseconds(seconds(1)), nanoseconds(hours(26) + seconds(3)),
        nanoseconds(weeks(3) + days(6) + hours(23) + minutes(59) + seconds(59)), nanoseconds(milliseconds(10))})
    CHECK(parse_ros_duration(format_ros_duration(d)) == d);
  CHECK(format_ros_duration(hours(1) + minutes(2) + seconds(3)) == "1h2m3s");
}

TEST_CASE("booleans, integers, numbers, ids", "[values]") {
  CHECK(parse_ros_bool("true") == true);
  CHECK(parse_ros_bool("yes") == true);
  CHECK(parse_ros_bool("false") == false);
  CHECK(parse_ros_bool("no") == false);
  CHECK_FALSE(parse_ros_bool("True").has_value());
  CHECK_FALSE(parse_ros_bool("").has_value());

  CHECK(parse_ros_uint("123456789") == 123456789u);
  CHECK(parse_ros_uint("0x81000001") == 0x81000001u);
  CHECK(parse_ros_uint("18446744073709551615") == UINT64_MAX);
  for (auto bad : {"", "-1", "1.5", "12a", "18446744073709551616", "0x", " 1"})
    CHECK_FALSE(parse_ros_uint(bad).has_value());
  CHECK(parse_ros_int("-5") == -5);
  CHECK_FALSE(parse_ros_int("5k").has_value());

  CHECK(parse_ros_number("123456") == Approx(123456));
  CHECK(parse_ros_number("0.5") == Approx(0.5));
  CHECK(parse_ros_number("1.5kbps") == Approx(1500));
  CHECK(parse_ros_number("10Mbps") == Approx(10e6));
  CHECK(parse_ros_number("2G") == Approx(2e9));
  CHECK(parse_ros_number("300pps") == Approx(300));
  for (auto bad : {"", "bps", "k", "1..2", "abc", "1e5", "nan"}) CHECK_FALSE(parse_ros_number(bad).has_value());

  CHECK(parse_ros_id("*1A") == 0x1Au);
  CHECK_FALSE(parse_ros_id("1A").has_value());
  CHECK_FALSE(parse_ros_id("*").has_value());
  CHECK_FALSE(parse_ros_id("*xyz").has_value());
}

TEST_CASE("upload/download pairs of /queue/simple in every form", "[values][pairs]") {
  using P = RosPair<double>;
  // max-limit / limit-at / burst-limit / rate: plain bits/s, SI suffixes, decimals, unit words, zero.
  CHECK(parse_ros_number_pair("10000000/50000000") == P{10e6, 50e6});
  CHECK(parse_ros_number_pair("10M/50M") == P{10e6, 50e6});
  CHECK(parse_ros_number_pair("512k/2M") == P{512e3, 2e6});
  CHECK(parse_ros_number_pair("1G/1G") == P{1e9, 1e9});
  CHECK(parse_ros_number_pair("1.5M/2.5M") == P{1.5e6, 2.5e6});
  CHECK(parse_ros_number_pair("1200bps/48kbps") == P{1200, 48e3});
  CHECK(parse_ros_number_pair("0/0") == P{0, 0});
  CHECK(parse_ros_number_pair("0/20M") == P{0, 20e6});
  CHECK(parse_ros_number_pair("2T/0") == P{2e12, 0});
  for (auto bad :
       {"", "/", "10M", "10M/", "/50M", "10M/50M/1G", "10X/50M", "10M//50M", "ten/fifty", "10M 50M", "unlimited"})
    CHECK_FALSE(parse_ros_number_pair(bad).has_value());

  // bytes / packets / dropped / queued-bytes: exact unsigned counters, no suffixes.
  using U = RosPair<uint64_t>;
  CHECK(parse_ros_uint_pair("123456/7890") == U{123456, 7890});
  CHECK(parse_ros_uint_pair("0/0") == U{0, 0});
  CHECK(parse_ros_uint_pair("18446744073709551615/1") == U{UINT64_MAX, 1});  // beyond 2^53: exact
  for (auto bad : {"", "1/", "/1", "1", "1/2/3", "1k/2", "-1/2", "1.5/2", "18446744073709551616/0", "1 /2"})
    CHECK_FALSE(parse_ros_uint_pair(bad).has_value());
}

TEST_CASE("legacy MD5 login response matches an independent implementation", "[values][login]") {
  // Vectors computed with python3-librouteros' login.encode_password.
  CHECK(legacy_login_response("s3cret", "ebddd18303a54111e2dea05a92ab46b4") == "00e33bb013fc72f53a8dc2a561d4fcd31d");
  CHECK(legacy_login_response("", "00112233445566778899aabbccddeeff") == "004fc766996a2175c8d712275fb6a3cb31");
  CHECK_THROWS_AS(legacy_login_response("x", "abc"), std::invalid_argument);
  CHECK_THROWS_AS(legacy_login_response("x", "zz"), std::invalid_argument);
}
