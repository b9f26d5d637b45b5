// neighbors — the agent's own MNDP listener: hears announcements on UDP 5678
// (mndp_packet.hpp) and solicits them by broadcasting the 4-byte refresh
// datagram every `solicit_interval` (what MAC-Telnet's `mndp` tool and WinBox
// do). The socket sets SO_REUSEADDR and SO_REUSEPORT (so WinBox or mactelnetd
// may listen on the same machine), SO_BROADCAST, and IP_PKTINFO to learn the
// interface each datagram came in on. Solicitations — the agent's own echo
// included — are ignored; malformed datagrams are counted and reported.
//
// Threading: every method on `strand`; callbacks run there. Keep it in a
// std::shared_ptr (pending operations hold it weakly).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "mndp_packet.hpp"
#include "routerpulse/clock.hpp"

namespace routerpulse::neighbors {

class MndpListener : public std::enable_shared_from_this<MndpListener> {
 public:
  struct Config {
    boost::asio::ip::udp::endpoint listen;
    Duration solicit_interval{};  ///< 0 = never solicit
    boost::asio::ip::udp::endpoint solicit_to;
  };
  struct Counters {
    uint64_t datagrams = 0, announcements = 0, solicitations_seen = 0, malformed = 0, solicitations_sent = 0,
             send_errors = 0;
  };
  using OnAnnouncement = std::function<void(const MndpAnnouncement&, const std::string& interface)>;
  using OnMalformed = std::function<void(const std::string& from, const std::string& why)>;

  MndpListener(Strand strand, Clock& clock, Config cfg, OnAnnouncement on_announcement, OnMalformed on_malformed);
  /// Opens and binds the socket; returns an error text (empty on success).
  std::string open();
  /// Starts receiving and soliciting.
  void start();
  /// Closes the socket; no callback after this.
  void stop();
  const Counters& counters() const noexcept { return c_; }
  /// The bound port (tests bind port 0).
  uint16_t port() const;

 private:
  void wait();
  void drain();
  void solicit();

  Strand strand_;
  Config cfg_;
  OnAnnouncement on_announcement_;
  OnMalformed on_malformed_;
  boost::asio::ip::udp::socket socket_;
  std::unique_ptr<Timer> timer_;
  Counters c_;
  bool stopped_ = false;
};

}  // namespace routerpulse::neighbors
