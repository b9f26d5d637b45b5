#include "icmp_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace routerpulse::icmp {
namespace {

constexpr size_t kBufSize = 2048;
constexpr size_t kCtrlSize = 256;

int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace

const char* to_string(Mode m) noexcept { return m == Mode::dgram ? "unprivileged" : "raw"; }
const char* to_string(Family f) noexcept { return f == Family::v4 ? "ipv4" : "ipv6"; }

IcmpSocket::IcmpSocket(int fd, Family f, Mode m)
    : fd_(fd), family_(f), mode_(m), bufs_(kBatch * kBufSize), ctrl_(kBatch * kCtrlSize) {}

IcmpSocket::~IcmpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<IcmpSocket> IcmpSocket::open(Family f, Mode m, int& err) {
  const int domain = f == Family::v4 ? AF_INET : AF_INET6;
  const int proto = f == Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  int fd = ::socket(domain, (m == Mode::dgram ? int{SOCK_DGRAM} : int{SOCK_RAW}) | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    err = errno;
    return nullptr;
  }
  std::unique_ptr<IcmpSocket> s(new IcmpSocket(fd, f, m));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (f == Family::v4) {
    ::setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    if (m == Mode::dgram) ::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    if (m == Mode::raw) {
      // Pass echo reply (0), destination unreachable (3), time exceeded (11).
      icmp_filter filt{};
      filt.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED));
      ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof filt);
    }
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    if (m == Mode::dgram) ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
    if (m == Mode::raw) {
      icmp6_filter filt;
      ICMP6_FILTER_SETBLOCKALL(&filt);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filt);
      ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filt);
      ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt);
    }
  }
  if (m == Mode::dgram) {
    // Bind to "port" 0: the kernel picks a free echo id; learn it.
    sockaddr_storage ss{};
    socklen_t len;
    if (f == Family::v4) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      len = sizeof(sockaddr_in6);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      err = errno;
      return nullptr;
    }
    len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      s->kernel_id_ = ntohs(f == Family::v4 ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return s;
}

int IcmpSocket::set_receive_buffer(int bytes) {
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  int eff = 0;
  socklen_t len = sizeof eff;
  ::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &eff, &len);
  return eff;
}

bool IcmpSocket::set_ttl(int ttl) {
  if (family_ == Family::v4) return ::setsockopt(fd_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0;
  return ::setsockopt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) == 0;
}

int IcmpSocket::send(std::span<const OutMessage> msgs) {
  mmsghdr hdrs[kBatch];
  iovec iovs[kBatch];
  size_t n = std::min<size_t>(msgs.size(), kBatch);
  for (size_t i = 0; i < n; ++i) {
    iovs[i] = {const_cast<uint8_t*>(msgs[i].data), msgs[i].len};
    hdrs[i] = {};
    hdrs[i].msg_hdr.msg_name = const_cast<sockaddr*>(msgs[i].addr);
    hdrs[i].msg_hdr.msg_namelen = msgs[i].addrlen;
    hdrs[i].msg_hdr.msg_iov = &iovs[i];
    hdrs[i].msg_hdr.msg_iovlen = 1;
  }
  int r = ::sendmmsg(fd_, hdrs, static_cast<unsigned>(n), MSG_DONTWAIT);
  return r < 0 ? -errno : r;
}

void IcmpSocket::parse_control(msghdr& h, InMessage& m) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      m.rx_realtime_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      uint32_t d;
      std::memcpy(&d, CMSG_DATA(c), sizeof d);
      drops_ = d;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      int v;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      m.ttl = v;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      sock_extended_err ee;
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
        m.ee_type = ee.ee_type;
        m.ee_code = ee.ee_code;
      }
    }
  }
}

int IcmpSocket::receive(std::vector<InMessage>& out) {
  out.clear();
  mmsghdr hdrs[kBatch];
  iovec iovs[kBatch];
  sockaddr_storage from[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iovs[i] = {bufs_.data() + i * kBufSize, kBufSize};
    hdrs[i] = {};
    hdrs[i].msg_hdr.msg_name = &from[i];
    hdrs[i].msg_hdr.msg_namelen = sizeof from[i];
    hdrs[i].msg_hdr.msg_iov = &iovs[i];
    hdrs[i].msg_hdr.msg_iovlen = 1;
    hdrs[i].msg_hdr.msg_control = ctrl_.data() + i * kCtrlSize;
    hdrs[i].msg_hdr.msg_controllen = kCtrlSize;
  }
  int r = ::recvmmsg(fd_, hdrs, kBatch, MSG_DONTWAIT, nullptr);
  if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  int64_t fallback = 0;
  out.resize(static_cast<size_t>(r));
  for (int i = 0; i < r; ++i) {
    InMessage& m = out[static_cast<size_t>(i)];
    m.from = from[i];
    m.data = bufs_.data() + i * kBufSize;
    m.len = std::min<size_t>(hdrs[i].msg_len, kBufSize);
    parse_control(hdrs[i].msg_hdr, m);
    if (m.rx_realtime_ns == 0) m.rx_realtime_ns = fallback ? fallback : (fallback = realtime_ns());
  }
  return r;
}

int IcmpSocket::receive_errors(std::vector<InMessage>& out) {
  out.clear();
  for (int i = 0; i < kBatch; ++i) {
    InMessage m;
    iovec iov{bufs_.data() + i * kBufSize, kBufSize};
    msghdr h{};
    h.msg_name = &m.from;
    h.msg_namelen = sizeof m.from;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = ctrl_.data() + i * kCtrlSize;
    h.msg_controllen = kCtrlSize;
    ssize_t r = ::recvmsg(fd_, &h, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return out.empty() ? -errno : static_cast<int>(out.size());
    }
    m.data = bufs_.data() + i * kBufSize;
    m.len = static_cast<size_t>(r);
    m.from_error_queue = true;
    parse_control(h, m);
    if (m.ee_type == 0 && m.ee_code == 0) continue;  // not an ICMP error (e.g. a local one)
    out.push_back(m);
  }
  return static_cast<int>(out.size());
}

}  // namespace routerpulse::icmp
