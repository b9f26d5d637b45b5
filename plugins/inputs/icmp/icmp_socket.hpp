// icmp — one ICMP or ICMPv6 socket, datagram ("ping socket") or raw, with
// batched non-blocking sends and receives.
//
// Datagram sockets: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) (Linux 3.0) and
// AF_INET6/IPPROTO_ICMPV6 (Linux 3.11); allowed when one of the process's
// groups is inside net.ipv4.ping_group_range (per network namespace, governs
// both families; icmp(7), ip-sysctl.rst). The kernel owns the echo id (the
// bound "port") and demultiplexes replies to the one socket. Errors for our
// echoes arrive on the error queue (IP_RECVERR/IPV6_RECVERR, ip(7)).
// Raw sockets: SOCK_RAW + IPPROTO_ICMP(V6), need CAP_NET_RAW (raw(7)); every
// raw ICMP socket gets a copy of every ICMP packet, so ICMP_FILTER (raw(7)) /
// ICMP6_FILTER (RFC 3542 §3.2) keep only echo replies and errors.
// Every socket: SO_TIMESTAMPNS (kernel receive time, CLOCK_REALTIME,
// Documentation/networking/timestamping.rst), SO_RXQ_OVFL (cumulative count
// of packets the socket dropped, socket(7)), IP_RECVTTL / IPV6_RECVHOPLIMIT.
// Sends use sendmmsg(2), receives recvmmsg(2), both with MSG_DONTWAIT.
//
// Threading: not synchronised; owned and used by one strand.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "icmp_packet.hpp"

namespace routerpulse::icmp {

enum class Mode : uint8_t { dgram = 0, raw = 1 };
const char* to_string(Mode m) noexcept;
const char* to_string(Family f) noexcept;

/// One message to send (unconnected socket: every message names its target).
struct OutMessage {
  const sockaddr* addr = nullptr;
  socklen_t addrlen = 0;
  const uint8_t* data = nullptr;
  size_t len = 0;
};

/// One message read; `data` points into the socket's receive buffers and is
/// valid until the next receive call.
struct InMessage {
  sockaddr_storage from{};  ///< the sender (replies) or the original destination (error queue)
  const uint8_t* data = nullptr;
  size_t len = 0;
  int64_t rx_realtime_ns = 0;  ///< SCM_TIMESTAMPNS, or clock_gettime(CLOCK_REALTIME) when absent
  int ttl = -1;                ///< IP_TTL / IPV6_HOPLIMIT ancillary data, -1 when absent
  bool from_error_queue = false;
  uint8_t ee_type = 0, ee_code = 0;  ///< error queue: the ICMP type/code received
};

class IcmpSocket {
 public:
  /// Opens and configures a socket. On failure returns nullptr and sets
  /// `err` to the errno of socket(2) (EACCES/EPERM: not permitted).
  static std::unique_ptr<IcmpSocket> open(Family f, Mode m, int& err);
  ~IcmpSocket();
  IcmpSocket(const IcmpSocket&) = delete;
  IcmpSocket& operator=(const IcmpSocket&) = delete;

  int fd() const noexcept { return fd_; }
  Family family() const noexcept { return family_; }
  Mode mode() const noexcept { return mode_; }
  /// Datagram: the echo id the kernel assigned (the bound port). Raw: 0.
  uint16_t kernel_id() const noexcept { return kernel_id_; }

  /// Asks for a receive buffer of `bytes` (SO_RCVBUFFORCE, which needs
  /// CAP_NET_ADMIN, then SO_RCVBUF, capped by net.core.rmem_max); returns
  /// the effective size the kernel reports.
  int set_receive_buffer(int bytes);
  /// IP_TTL / IPV6_UNICAST_HOPS. Returns false on failure.
  bool set_ttl(int ttl);

  /// sendmmsg: returns how many were sent from the front (>= 0); when the
  /// first message fails returns -errno.
  int send(std::span<const OutMessage> msgs);

  /// recvmmsg of up to kBatch messages into `out` (cleared first). Returns the
  /// count, 0 when nothing is waiting, -errno on another error (a pending
  /// socket error, e.g. EHOSTUNREACH, is reported once this way).
  int receive(std::vector<InMessage>& out);
  /// Datagram sockets: reads the error queue (up to kBatch); same returns.
  int receive_errors(std::vector<InMessage>& out);

  /// Packets the kernel dropped because the receive buffer was full, since
  /// the socket was opened (the last SO_RXQ_OVFL value seen).
  uint32_t drops() const noexcept { return drops_; }

  static constexpr int kBatch = 64;

 private:
  IcmpSocket(int fd, Family f, Mode m);
  void parse_control(msghdr& h, InMessage& m);

  int fd_;
  Family family_;
  Mode mode_;
  uint16_t kernel_id_ = 0;
  uint32_t drops_ = 0;
  std::vector<uint8_t> bufs_;  // kBatch × kBufSize
  std::vector<uint8_t> ctrl_;  // kBatch × kCtrlSize
};

}  // namespace routerpulse::icmp
