// neighbors: the MNDP listener on loopback — announcements from a test sender
// become `neighbor` metrics with router="" and discovered_by=mndp-agent,
// malformed datagrams are counted (never crash), solicitations are ignored,
// and the listener solicits on its own timer (ManualClock).
#include <catch2/catch.hpp>

#include <boost/asio/ip/udp.hpp>

#include "mndp_packet.hpp"
#include "nb_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using boost::asio::ip::udp;

namespace {

int free_udp_port() {
  boost::asio::io_context io;
  udp::socket s(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

}  // namespace

TEST_CASE("mndp listener: announcements, malformed datagrams and solicitations", "[neighbors][mndp]") {
  const int port = free_udp_port();
  NeighborsFixture f(nullptr);
  f.create("routers: []\nmndp: {listen: \"127.0.0.1:" + std::to_string(port) +
           "\", solicit_interval: 0s, hold: 2m}\nknown: [\"02:00:00:00:00:2B\"]\n");
  boost::asio::io_context io;
  udp::socket sender(io, udp::endpoint(udp::v4(), 0));
  const udp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  neighbors::MndpAnnouncement a;
  a.mac = "02:00:00:00:00:2A";
  a.identity = std::string("swos-lab\0\0", 10);
  a.platform = "MikroTik";
  a.version = "2.17";
  a.board = "CSS326-24G-2S+";
  a.uptime_s = 1234;
  a.ipv4 = "10.0.0.42";
  sender.send_to(boost::asio::buffer(encode_mndp(a)), to);
  sender.send_to(boost::asio::buffer(neighbors::mndp_solicitation()), to);  // ignored
  for (std::string bad : {std::string("\x01\x02", 2),
                          std::string("\0\0\0\0\0\x01\0\x09"
                                      "abc",
                                      11),
                          std::string("\0\0\0\0\0\x05\0\x01x", 9)})
    sender.send_to(boost::asio::buffer(bad), to);
  REQUIRE(
      wait_until([&] { return f.stat("mndp_malformed_total") == 3 && f.stat("mndp_announcements_total") == 1; }, 10s));
  f.gather();
  auto n = f.neighbor("02:00:00:00:00:2A", "");
  REQUIRE(n);
  CHECK(tag_of(*n, "router") == "");
  CHECK(tag_of(*n, "discovered_by") == "mndp-agent");
  CHECK(tag_of(*n, "interface") == "lo");  // IP_PKTINFO
  CHECK(tag_of(*n, "identity") == "swos-lab");
  CHECK(tag_of(*n, "address") == "10.0.0.42");
  CHECK(std::get<double>(*n->field("uptime_s")) == 1234);
  CHECK(f.named("neighbor").size() == 1);
  auto cand = f.named("neighbor_event", "candidate");
  REQUIRE(cand.size() == 1);
  CHECK(std::get<std::string>(*cand[0].field("parents")) == "mndp-agent:lo");

  // Not heard again within `hold`: it leaves the table (reported absent once).
  f.h.clear_emitted();
  f.clock.advance(3min);
  f.gather();
  auto gone = f.neighbor("02:00:00:00:00:2A", "");
  REQUIRE(gone);
  CHECK_FALSE(std::get<bool>(*gone->field("present")));
  // The known device was never heard: lost after lost_after (10m) from the first round.
  f.h.clear_emitted();
  f.clock.advance(8min);
  f.gather();
  REQUIRE(f.named("neighbor_event", "lost").size() == 1);
}

TEST_CASE("mndp listener: solicits at start and every solicit_interval", "[neighbors][mndp]") {
  boost::asio::io_context io;
  udp::socket receiver(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  receiver.non_blocking(true);
  const int listen_port = free_udp_port();
  NeighborsFixture f(nullptr);
  f.create("routers: []\nmndp: {listen: \"127.0.0.1:" + std::to_string(listen_port) +
           "\", solicit_interval: 30s, solicit_to: \"127.0.0.1:" + std::to_string(receiver.local_endpoint().port()) +
           "\"}\n");
  size_t got = 0;
  auto receive = [&] {
    char buf[64];
    udp::endpoint from;
    boost::system::error_code ec;
    const size_t n = receiver.receive_from(boost::asio::buffer(buf), from, 0, ec);
    if (ec) return false;
    CHECK(std::string(buf, n) == std::string(4, '\0'));
    CHECK(from.port() == listen_port);  // sent from the listening socket
    ++got;
    return true;
  };
  REQUIRE(wait_until([&] { return receive() || got >= 1; }, 10s));
  f.clock.advance(30s);
  REQUIRE(wait_until([&] { return receive() || got >= 2; }, 10s));
  f.gather();
  CHECK(f.stat("mndp_solicitations_sent_total") == 2);
  CHECK(f.stat("mndp_malformed_total") == 0);
}
