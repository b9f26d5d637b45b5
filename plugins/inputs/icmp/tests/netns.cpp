#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace routerpulse::icmp::test {
namespace rt = routerpulse::test;

namespace {
bool g_entered = false;
std::string script_path() { return rt::source_dir() + "/plugins/inputs/icmp/tests/netns.sh"; }
}  // namespace

bool entered() { return g_entered; }

TestNet* TestNet::get(std::string& why) {
  static std::unique_ptr<TestNet> net;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (::geteuid() != 0) {
      error = "needs root (network namespaces, raw sockets)";
    } else if (rt::run_command("command -v ip >/dev/null && command -v nft >/dev/null") != 0) {
      error = "needs iproute2 and nftables (scripts/setup.sh installs them)";
    } else {
      auto n = std::make_unique<TestNet>();
      n->tag_ = std::to_string(::getpid());
      if (n->script("up") != 0) {
        error = "netns.sh up failed";
      } else {
        int fd = ::open(("/run/netns/" + n->prober()).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
          error = "cannot enter " + n->prober();
        } else {
          g_entered = true;
          net = std::move(n);
        }
        if (fd >= 0) ::close(fd);
      }
      if (!net) n->script("down");
    }
  }
  why = error;
  return net.get();
}

TestNet::~TestNet() {
  responder_.reset();
  std::remove(("/tmp/icmp-delay-responder-" + tag_ + ".log").c_str());
  script("down");
}

int TestNet::script(const std::string& cmd, const std::string& extra) const {
  return rt::run_command(script_path() + " " + cmd + " " + tag_ + (extra.empty() ? "" : " " + extra) +
                         " >/dev/null 2>&1");
}

bool TestNet::start_responder() {
  if (responder_) return true;
  const std::string log = "/tmp/icmp-delay-responder-" + tag_ + ".log";
  responder_ = std::make_unique<rt::Process>(
      std::vector<std::string>{"ip", "netns", "exec", delay_host(), rt::build_dir() + "/icmp-delay-responder",
                               "10.202.0", "10"},
      log);
  return rt::wait_until([&] { return rt::read_file(log).find("ready") != std::string::npos; },
                        std::chrono::seconds(10));
}

}  // namespace routerpulse::icmp::test
