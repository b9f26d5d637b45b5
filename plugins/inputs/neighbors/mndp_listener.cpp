#include "mndp_listener.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include <boost/asio/bind_executor.hpp>

namespace routerpulse::neighbors {

using boost::asio::ip::udp;

MndpListener::MndpListener(Strand strand, Clock& clock, Config cfg, OnAnnouncement on_announcement,
                           OnMalformed on_malformed)
    : strand_(std::move(strand)),
      cfg_(std::move(cfg)),
      on_announcement_(std::move(on_announcement)),
      on_malformed_(std::move(on_malformed)),
      socket_(strand_),
      timer_(clock.make_timer(strand_)) {}

std::string MndpListener::open() {
  boost::system::error_code ec;
  socket_.open(cfg_.listen.protocol(), ec);
  if (ec) return "cannot open the MNDP socket: " + ec.message();
  socket_.set_option(udp::socket::reuse_address(true), ec);
  const int one = 1;
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  socket_.set_option(boost::asio::socket_base::broadcast(true), ec);
  if (cfg_.listen.address().is_v4())
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  else
    ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  socket_.non_blocking(true, ec);
  socket_.bind(cfg_.listen, ec);
  if (ec) {
    std::string why = "cannot listen for MNDP on " + cfg_.listen.address().to_string() + ":" +
                      std::to_string(cfg_.listen.port()) + ": " + ec.message();
    socket_.close(ec);
    return why;
  }
  return {};
}

uint16_t MndpListener::port() const {
  boost::system::error_code ec;
  auto ep = socket_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void MndpListener::start() {
  if (!socket_.is_open()) return;
  wait();
  if (cfg_.solicit_interval.count() > 0) solicit();
}

void MndpListener::stop() {
  stopped_ = true;
  timer_->cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

void MndpListener::wait() {
  std::weak_ptr<MndpListener> w = weak_from_this();
  socket_.async_wait(udp::socket::wait_read, boost::asio::bind_executor(strand_, [w](boost::system::error_code ec) {
                       auto self = w.lock();
                       if (!self || ec || self->stopped_) return;
                       self->drain();
                       self->wait();
                     }));
}

void MndpListener::drain() {
  // At most 256 datagrams per wake-up, so a flood cannot hold the strand.
  for (int i = 0; i < 256; ++i) {
    char buf[2048];
    sockaddr_storage from{};
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[256];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN: drained
    ++c_.datagrams;
    std::string iface;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      unsigned index = 0;
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        index = static_cast<unsigned>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        index = info.ipi6_ifindex;
      }
      char name[IF_NAMESIZE] = {};
      if (index && ::if_indextoname(index, name)) iface = name;
    }
    MndpAnnouncement a;
    std::string error;
    const std::string_view data(buf, static_cast<size_t>(n));
    switch (parse_mndp(data, a, error)) {
      case MndpParse::announcement:
        ++c_.announcements;
        on_announcement_(a, iface);
        break;
      case MndpParse::solicitation: ++c_.solicitations_seen; break;  // ours or another listener's
      case MndpParse::malformed: {
        ++c_.malformed;
        char host[INET6_ADDRSTRLEN + 8] = "?";
        if (from.ss_family == AF_INET) {
          auto* s = reinterpret_cast<sockaddr_in*>(&from);
          inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
        } else if (from.ss_family == AF_INET6) {
          auto* s = reinterpret_cast<sockaddr_in6*>(&from);
          inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
        }
        on_malformed_(host, error);
        break;
      }
    }
    if (stopped_) return;
  }
}

void MndpListener::solicit() {
  if (stopped_) return;
  boost::system::error_code ec;
  const std::string d = mndp_solicitation();
  socket_.send_to(boost::asio::buffer(d), cfg_.solicit_to, 0, ec);
  if (ec)
    ++c_.send_errors;
  else
    ++c_.solicitations_sent;
  timer_->arm(cfg_.solicit_interval, [this] { solicit(); });
}

}  // namespace routerpulse::neighbors
