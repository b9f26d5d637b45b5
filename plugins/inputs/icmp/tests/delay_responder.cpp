// icmp-delay-responder: answers ICMP echo requests to 10.202.0.0/24 (or the
// prefix given) after a delay that depends on the target address, so a
// reply credited to the wrong target shows up as a wrong RTT.
//   icmp-delay-responder [PREFIX24 [STEP_MS]]   e.g. 10.202.0 10
// delay(addr) = (last octet % 8) × STEP_MS. Runs until killed. Needs a raw
// socket (root) and net.ipv4.icmp_echo_ignore_all=1 so the kernel stays quiet.
// Replies are sent from the target address with IP_PKTINFO (ip(7)).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

namespace {

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (; n > 1; p += 2, n -= 2) s += static_cast<uint32_t>(p[0] << 8 | p[1]);
  if (n) s += static_cast<uint32_t>(p[0]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

struct Reply {
  int64_t due;
  in_addr from, to;
  std::vector<uint8_t> icmp;
  bool operator>(const Reply& o) const { return due > o.due; }
};

}  // namespace

int main(int argc, char** argv) {
  std::string prefix = argc > 1 ? argv[1] : "10.202.0";
  int step_ms = argc > 2 ? std::atoi(argv[2]) : 5;
  in_addr net{};
  if (inet_pton(AF_INET, (prefix + ".0").c_str(), &net) != 1) {
    std::fprintf(stderr, "bad prefix %s\n", prefix.c_str());
    return 2;
  }
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  std::priority_queue<Reply, std::vector<Reply>, std::greater<>> q;
  uint8_t buf[4096];
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    timespec wait{}, *waitp = nullptr;
    if (!q.empty()) {
      int64_t d = std::max<int64_t>(0, q.top().due - now_ns());
      wait.tv_sec = d / 1000000000LL;
      wait.tv_nsec = d % 1000000000LL;
      waitp = &wait;
    }
    pollfd p{fd, POLLIN, 0};
    if (ppoll(&p, 1, waitp, nullptr) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n >= 28 && (buf[0] >> 4) == 4) {
        size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
        in_addr src, dst;
        std::memcpy(&src, buf + 12, 4);
        std::memcpy(&dst, buf + 16, 4);
        if (static_cast<size_t>(n) >= ihl + 8 && buf[ihl] == 8 &&
            (ntohl(dst.s_addr) & 0xffffff00u) == ntohl(net.s_addr)) {
          Reply r;
          int last = static_cast<int>(ntohl(dst.s_addr) & 0xff);
          r.due = now_ns() + static_cast<int64_t>(last % 8) * step_ms * 1000000LL;
          r.from = dst;
          r.to = src;
          r.icmp.assign(buf + ihl, buf + n);
          r.icmp[0] = 0;  // echo reply
          r.icmp[2] = r.icmp[3] = 0;
          uint16_t c = checksum(r.icmp.data(), r.icmp.size());
          r.icmp[2] = static_cast<uint8_t>(c >> 8);
          r.icmp[3] = static_cast<uint8_t>(c);
          q.push(std::move(r));
        }
      }
    }
    while (!q.empty() && q.top().due <= now_ns()) {
      const Reply& r = q.top();
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr = r.to;
      iovec iov{const_cast<uint8_t*>(r.icmp.data()), r.icmp.size()};
      alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(in_pktinfo))] = {};
      msghdr h{};
      h.msg_name = &to;
      h.msg_namelen = sizeof to;
      h.msg_iov = &iov;
      h.msg_iovlen = 1;
      h.msg_control = ctrl;
      h.msg_controllen = sizeof ctrl;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      pi.ipi_spec_dst = r.from;
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
      sendmsg(fd, &h, 0);
      q.pop();
    }
  }
}
