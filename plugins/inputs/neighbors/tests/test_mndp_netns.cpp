// neighbors: the MNDP listener end to end in network namespaces of its own
// (tests/netns.sh; root only): the agent binds the real port 5678, broadcasts
// its solicitation to 255.255.255.255, an MNDP-only device in the other
// namespace (tests/mndp_device.py) answers by broadcast, and the device
// appears as a `neighbor` on the agent's interface nb0. The agent's own
// solicitation echo is not mistaken for anything.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "nb_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

const std::string kDir = std::string(ROUTERPULSE_NEIGHBORS_TESTS);

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

/// Creates the namespaces, moves this thread (and the threads it creates from
/// now on) into the agent's, and undoes both at the end.
struct Net {
  std::string tag = std::to_string(::getpid());
  int home = -1;
  bool ok = false;
  Net() {
    if (sh(kDir + "/netns.sh up " + tag) != 0) return;
    home = ::open("/proc/self/ns/net", O_RDONLY);
    int fd = ::open(("/var/run/netns/nbr-a-" + tag).c_str(), O_RDONLY);
    ok = home >= 0 && fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0) ::close(fd);
  }
  ~Net() {
    if (home >= 0) {
      ::setns(home, CLONE_NEWNET);
      ::close(home);
    }
    sh(kDir + "/netns.sh down " + tag);
  }
};

}  // namespace

TEST_CASE("mndp in namespaces: solicitation broadcast, a device's broadcast answer", "[neighbors][mndp][netns]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for network namespaces");
    return;
  }
  Net net;
  REQUIRE(net.ok);
  Process device({"ip", "netns", "exec", "nbr-d-" + net.tag, "python3", kDir + "/mndp_device.py", "02:00:00:00:00:99",
                  "Caf\xE9-switch", "10.97.0.2"});
  NeighborsFixture f(nullptr);
  // The device may not listen yet when the first solicitation goes out: the
  // ManualClock re-solicits every 30 s of its time until an answer comes.
  f.create("routers: []\nmndp: {listen: \"0.0.0.0:5678\", solicit_interval: 30s}\n");
  REQUIRE(wait_until(
      [&] {
        if (f.stat("mndp_announcements_total") >= 1) return true;
        f.clock.advance(30s);
        return false;
      },
      20s));
  f.gather();
  auto n = f.neighbor("02:00:00:00:00:99", "");
  REQUIRE(n);
  CHECK(tag_of(*n, "interface") == "nb0");
  CHECK(tag_of(*n, "identity") == "Caf\xC3\xA9-switch");
  CHECK(tag_of(*n, "address") == "10.97.0.2");
  CHECK(tag_of(*n, "board") == "CSS326-24G-2S+");
  CHECK(tag_of(*n, "discovered_by") == "mndp-agent");
  CHECK(std::get<double>(*n->field("uptime_s")) == 4242);
  CHECK(f.stat("mndp_malformed_total") == 0);
  CHECK(f.stat("mndp_solicitations_sent_total") >= 1);
  REQUIRE(f.named("neighbor_event", "candidate").size() == 1);
  f.input = nullptr;  // stop before leaving the namespace
  f.h.stop(*f.component, f.h.last_context());
  device.stop();
}
