// icmp tests — the test network (tests/netns.sh) and a way into it.
#pragma once

#include <memory>
#include <string>

#include "harness.hpp"

namespace routerpulse::icmp::test {

/// The namespaces of netns.sh for this process, created on first use and
/// deleted at exit. enter() moves the calling thread (and every thread it
/// creates afterwards) into the prober namespace: call it before creating a
/// Harness.
class TestNet {
 public:
  /// Null (and `why` set) when not root or the namespaces cannot be made.
  static TestNet* get(std::string& why);
  ~TestNet();
  const std::string& tag() const { return tag_; }
  std::string prober() const { return "rpi-p-" + tag_; }
  std::string target() const { return "rpi-t-" + tag_; }
  std::string delay_host() const { return "rpi-d-" + tag_; }
  /// Runs `netns.sh ARGS TAG ...`; returns the exit status.
  int script(const std::string& cmd, const std::string& extra = {}) const;
  /// Starts the delaying responder in the delay namespace (once).
  bool start_responder();

 private:
  std::string tag_;
  std::unique_ptr<routerpulse::test::Process> responder_;
};

/// Whether we are in the prober namespace already (entered on first get()).
bool entered();

}  // namespace routerpulse::icmp::test
