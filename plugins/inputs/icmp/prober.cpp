#include "prober.hpp"

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

namespace routerpulse::icmp {
namespace {

constexpr size_t kSlots = 65536;
constexpr size_t kMaxChannels = 64;      // 4 M probes in flight per family
constexpr size_t kSendBudget = 1024;     // probes per step before yielding
constexpr size_t kReceiveBudget = 4096;  // messages per socket per step
constexpr int kReplyTruesize = 1024;     // kernel memory charged per queued reply (~768–900 B)

int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

bool same_address(const sockaddr_storage& a, const ProbeAddress& t) {
  if (a.ss_family == AF_INET)
    return t.family == Family::v4 &&
           reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr == t.addr.v4.sin_addr.s_addr;
  return a.ss_family == AF_INET6 && t.family == Family::v6 &&
         std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, &t.addr.v6.sin6_addr, 16) == 0;
}

bool same_raw_address(const uint8_t* raw, const ProbeAddress& t) {
  if (t.family == Family::v4) return std::memcmp(raw, &t.addr.v4.sin_addr, 4) == 0;
  return std::memcmp(raw, &t.addr.v6.sin6_addr, 16) == 0;
}

std::string ping_group_range() {
  std::ifstream f("/proc/sys/net/ipv4/ping_group_range");
  std::string a, b;
  if (!(f >> a >> b)) return "unknown";
  return a + " " + b;
}

}  // namespace

Prober::Prober(ProbeSettings s) : settings_(s), rng_(std::random_device{}()) {
  raw_id_base_ = static_cast<uint16_t>(rng_());
  for (int f = 0; f < 2; ++f) {
    batch_msgs_[f].reserve(IcmpSocket::kBatch);
    batch_slots_[f].reserve(IcmpSocket::kBatch);
    batch_targets_[f].reserve(IcmpSocket::kBatch);
    batch_buf_[f].resize(IcmpSocket::kBatch * (kEchoHeader + std::max(settings_.payload, kCookieBytes)));
  }
}

Prober::~Prober() = default;

std::string Prober::open_family(Family f, ModeChoice choice) {
  const int fi = static_cast<int>(f);
  int err_dgram = 0, err_raw = 0;
  std::unique_ptr<IcmpSocket> s;
  if (choice != ModeChoice::raw) {
    s = IcmpSocket::open(f, Mode::dgram, err_dgram);
    if (!s && choice == ModeChoice::unprivileged) {
      return std::string("cannot open an unprivileged ICMP socket for ") + to_string(f) + ": " +
             std::strerror(err_dgram) +
             (err_dgram == EACCES || err_dgram == EPERM
                  ? "; allow one of this process's groups in net.ipv4.ping_group_range (now \"" + ping_group_range() +
                        "\"), e.g. sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""
                  : "");
    }
  }
  if (!s) {
    s = IcmpSocket::open(f, Mode::raw, err_raw);
    if (!s) {
      if (choice == ModeChoice::raw)
        return std::string("cannot open a raw ICMP socket for ") + to_string(f) + ": " + std::strerror(err_raw) +
               (err_raw == EPERM || err_raw == EACCES
                    ? "; grant CAP_NET_RAW (setcap cap_net_raw+ep on the binary, or AmbientCapabilities=CAP_NET_RAW "
                      "in the systemd unit)"
                    : "");
      return std::string("no permission to open an ICMP socket for ") + to_string(f) +
             ": unprivileged (ping) sockets: " + std::strerror(err_dgram) + ", raw sockets: " + std::strerror(err_raw) +
             "; either allow one of this process's groups in net.ipv4.ping_group_range (now \"" + ping_group_range() +
             "\", e.g. sysctl -w net.ipv4.ping_group_range=\"0 2147483647\") or grant CAP_NET_RAW (setcap "
             "cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW in the systemd unit)";
    }
  }
  mode_[fi] = s->mode();
  s->set_ttl(settings_.ttl);
  if (s->mode() == Mode::raw) raw_socket_[fi] = s.get();
  socket_list_.push_back(s.get());
  IcmpSocket* sp = s.get();
  owned_.push_back(std::move(s));
  Channel c;
  c.socket = sp;
  c.family = f;
  c.id = sp->mode() == Mode::raw ? raw_id_base_ : sp->kernel_id();
  channels_.push_back(std::move(c));
  return {};
}

std::string Prober::open(ModeChoice mode, bool want_v6) {
  std::string e4 = open_family(Family::v4, mode);
  family_error_[0] = e4;
  if (want_v6) {
    family_error_[1] = open_family(Family::v6, mode);
  } else {
    family_error_[1] = "IPv6 was not enabled";
  }
  if (!e4.empty() && (!want_v6 || !family_error_[1].empty())) return e4;
  return {};
}

int Prober::add_channel(Family f) {
  const int fi = static_cast<int>(f);
  size_t n = 0;
  for (const auto& c : channels_)
    if (c.family == f) ++n;
  if (n >= kMaxChannels) return -1;
  Channel c;
  c.family = f;
  if (mode_[fi] == Mode::raw) {
    c.socket = raw_socket_[fi];
    c.id = static_cast<uint16_t>(raw_id_base_ + n);
  } else {
    int err = 0;
    auto s = IcmpSocket::open(f, Mode::dgram, err);
    if (!s) return -1;
    s->set_ttl(settings_.ttl);
    if (rcvbuf_wanted_) s->set_receive_buffer(rcvbuf_wanted_);
    c.socket = s.get();
    c.id = s->kernel_id();
    socket_list_.push_back(s.get());
    owned_.push_back(std::move(s));
  }
  channels_.push_back(std::move(c));
  return static_cast<int>(channels_.size() - 1);
}

void Prober::grow(Channel& c, size_t capacity) {
  const size_t old = c.slots.size();
  if (capacity <= old) return;
  c.slots.resize(capacity);
  std::vector<uint16_t> ring(capacity);
  for (size_t k = 0; k < c.free_count; ++k) ring[k] = c.free[(c.free_head + k) % old];
  for (size_t k = old; k < capacity; ++k) ring[c.free_count++] = static_cast<uint16_t>(k);
  c.free = std::move(ring);
  c.free_head = 0;
}

bool Prober::take_slot(Family f, uint32_t& channel, uint16_t& seq) {
  for (size_t i = 0;; ++i) {
    if (i == channels_.size()) {
      if (add_channel(f) < 0) return false;
    }
    Channel& c = channels_[i];
    if (c.family != f) continue;
    if (c.free_count == 0) {
      if (c.slots.size() >= kSlots) continue;  // full: the next channel
      grow(c, std::max(want_slots_, c.slots.empty() ? size_t{0} : c.slots.size() * 2));
    }
    const size_t cap = c.slots.size();
    seq = c.free[c.free_head];
    c.free_head = (c.free_head + 1) & (cap - 1);
    --c.free_count;
    channel = static_cast<uint32_t>(i);
    return true;
  }
}

void Prober::release(uint32_t channel, uint16_t seq) {
  Channel& c = channels_[channel];
  c.slots[seq].state = 0;
  c.free[(c.free_head + c.free_count) & (c.slots.size() - 1)] = seq;
  ++c.free_count;
}

void Prober::size_receive_buffers() {
  // Room for every reply of one pass arriving before we read (a burst), at
  // least 1 MiB, at most 256 MiB.
  size_t per_pass = targets_.size();
  if (settings_.rate > 0) {
    size_t in_timeout = static_cast<size_t>(settings_.rate * std::chrono::duration<double>(settings_.timeout).count());
    per_pass = std::min(per_pass, std::max<size_t>(in_timeout, 1024));
  }
  int64_t want = std::clamp<int64_t>(static_cast<int64_t>(per_pass) * kReplyTruesize, 1 << 20, 256 << 20);
  if (want == rcvbuf_wanted_) return;
  rcvbuf_wanted_ = static_cast<int>(want);
  for (auto* s : socket_list_) rcvbuf_effective_ = s->set_receive_buffer(rcvbuf_wanted_);
}

void Prober::begin(std::vector<ProbeAddress> targets, SteadyTime now) {
  targets_ = std::move(targets);
  tallies_.assign(targets_.size(), TargetTally{});
  rtts_.assign(targets_.size() * static_cast<size_t>(settings_.count), -1);
  pending_.clear();
  deferred_.clear();
  // Slots a channel starts with: every probe of the round, as a power of two
  // (fewer when paced: the probes of one timeout), at most 65,536.
  size_t probes = targets_.size() * static_cast<size_t>(settings_.count);
  if (settings_.rate > 0)
    probes = std::min(
        probes, static_cast<size_t>(settings_.rate * std::chrono::duration<double>(settings_.timeout).count()) + 64);
  want_slots_ = 256;
  while (want_slots_ < probes && want_slots_ < kSlots) want_slots_ *= 2;
  for (auto& c : channels_) {
    if (c.slots.empty()) continue;
    // Free everything still held from an earlier round.
    const size_t cap = c.slots.size();
    for (size_t k = 0; k < cap; ++k) {
      c.slots[k].state = 0;
      c.free[k] = static_cast<uint16_t>(k);
    }
    c.free_head = 0;
    c.free_count = cap;
  }
  start_ = now;
  next_pass_ = 0;
  next_target_ = 0;
  sent_in_round_ = 0;
  waiting_ = 0;
  running_ = true;
  size_receive_buffers();
  // Drop whatever is queued from before (late replies of the last round).
  for (auto* s : socket_list_) drain(*s, kReceiveBudget);
}

uint64_t Prober::socket_drops() const {
  uint64_t d = 0;
  for (const auto* s : socket_list_) d += s->drops();
  return d;
}

void Prober::handle(IcmpSocket& s, const InMessage& m) {
  const Family f = s.family();
  Received r;
  if (m.from_error_queue) {
    if (!parse_sent_echo(m.data, m.len, r)) return;
    r.kind = Received::error;
  } else if (!parse_packet(m.data, m.len, f, f == Family::v4 && s.mode() == Mode::raw, r)) {
    ++counters_.unmatched;
    return;
  }
  if (r.kind == Received::other) return;
  // Which channel: datagram sockets have exactly one; raw ones by our id.
  int ch = -1;
  for (size_t i = 0; i < channels_.size(); ++i) {
    const Channel& c = channels_[i];
    if (c.socket != &s) continue;
    if (s.mode() == Mode::dgram || c.id == r.id) {
      ch = static_cast<int>(i);
      break;
    }
  }
  if (ch < 0 || !running_) {
    if (s.mode() == Mode::dgram) ++counters_.unmatched;  // raw sockets see everyone's ICMP
    return;
  }
  Channel& c = channels_[static_cast<size_t>(ch)];
  if (c.slots.empty()) return;
  Slot& slot = c.slots[r.seq];
  if (slot.state == 0 || !r.has_cookie || r.cookie != slot.cookie) {
    ++counters_.unmatched;
    return;
  }
  const ProbeAddress& t = targets_[slot.target];
  TargetTally& tally = tallies_[slot.target];
  if (r.kind == Received::error) {
    bool dst_ok = m.from_error_queue ? same_address(m.from, t) : (r.has_inner_dst && same_raw_address(r.inner_dst, t));
    if (!dst_ok) {
      ++counters_.unmatched;
      return;
    }
    ++tally.errors;
    ++counters_.errors;
    return;
  }
  if (!same_address(m.from, t)) {
    ++counters_.unmatched;
    return;
  }
  if (slot.state == 2) {
    ++tally.duplicates;
    ++counters_.duplicates;
    return;
  }
  int64_t rtt = m.rx_realtime_ns - slot.sent_ns;
  if (rtt < 0) rtt = 0;  // the wall clock stepped back between send and receive
  if (rtt > settings_.timeout.count()) {
    ++counters_.late;  // the deadline passed in the kernel's view; leave it to expire
    return;
  }
  slot.state = 2;
  rtts_[static_cast<size_t>(slot.target) * settings_.count + slot.probe] = rtt;
  ++tally.received;
  ++tally.transmitted;
  if (tally.ttl < 0) tally.ttl = r.ttl >= 0 ? r.ttl : m.ttl;
  ++counters_.received;
  --waiting_;
}

void Prober::drain(IcmpSocket& s, size_t budget) {
  size_t n = 0;
  int errors = 0;
  while (n < budget) {
    int r = s.receive(in_);
    if (r < 0) {
      // A pending socket error (e.g. EHOSTUNREACH) is reported once; the
      // details are on the error queue. Anything that keeps failing ends
      // this drain (the next readiness or step tries again).
      if (s.mode() == Mode::dgram) {
        while (s.receive_errors(in_) > 0)
          for (const auto& m : in_) handle(s, m);
      }
      if (++errors > 4) break;
      continue;
    }
    if (r == 0) break;
    for (const auto& m : in_) handle(s, m);
    n += static_cast<size_t>(r);
  }
  if (s.mode() == Mode::dgram) {
    while (s.receive_errors(in_) > 0)
      for (const auto& m : in_) handle(s, m);
  }
}

void Prober::expire(SteadyTime now) {
  while (!pending_.empty() && pending_.front().deadline <= now) {
    Pending p = pending_.front();
    pending_.pop_front();
    Slot& slot = channels_[p.channel].slots[p.seq];
    if (slot.state == 1) {
      ++tallies_[slot.target].transmitted;  // timed out: lost
      --waiting_;
    }
    release(p.channel, p.seq);
  }
}

void Prober::flush(Family f) {
  const int fi = static_cast<int>(f);
  auto& msgs = batch_msgs_[fi];
  if (msgs.empty()) return;
  auto& outs = batch_slots_[fi];
  // Every message of a batch goes to one socket: the batch is per channel.
  IcmpSocket* sock = channels_[outs.front().channel].socket;
  const int64_t t = realtime_ns();
  for (const auto& o : outs) channels_[o.channel].slots[o.seq].sent_ns = t;
  size_t done = 0;
  bool retried = false;
  while (done < msgs.size()) {
    int r = sock->send(std::span<const OutMessage>(msgs.data() + done, msgs.size() - done));
    if (r > 0) {
      done += static_cast<size_t>(r);
      counters_.sent += static_cast<uint64_t>(r);
      continue;
    }
    if (r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS) {
      // The socket's send buffer (or the device queue) is full: keep the
      // rest, in order, for the next step; nothing new is sent before them.
      for (size_t k = done; k < outs.size(); ++k) deferred_.push_back(outs[k]);
      counters_.deferred += outs.size() - done;
      break;
    }
    if ((r == -EHOSTUNREACH || r == -ENETUNREACH) && !retried) {
      retried = true;  // maybe a pending error of an earlier send: try once more
      continue;
    }
    // This message cannot be sent: its probe is lost at once.
    const Outgoing o = outs[done];
    Slot& slot = channels_[o.channel].slots[o.seq];
    TargetTally& tally = tallies_[slot.target];
    ++tally.transmitted;
    tally.send_failed = true;
    ++counters_.send_errors;
    slot.state = 2;  // nothing to wait for; released at its deadline
    --waiting_;
    ++done;
    retried = false;
  }
  msgs.clear();
  outs.clear();
  batch_targets_[fi].clear();
}

void Prober::resend_deferred() {
  // Rebuild each deferred request from its slot and send it again, batch by
  // batch (one channel per batch), until the socket refuses again.
  const size_t plen = kEchoHeader + std::max(settings_.payload, kCookieBytes);
  while (!deferred_.empty()) {
    const uint32_t ch = deferred_.front().channel;
    const Family f = channels_[ch].family;
    const int fi = static_cast<int>(f);
    size_t k = 0;
    size_t b = 0;
    while (k < deferred_.size() && deferred_[k].channel == ch && b < static_cast<size_t>(IcmpSocket::kBatch)) {
      const Outgoing o = deferred_[k++];
      const Slot& slot = channels_[ch].slots[o.seq];
      if (slot.state != 1 || slot.cookie != o.cookie) continue;  // its deadline passed meanwhile: counted lost
      const ProbeAddress& t = targets_[slot.target];
      uint8_t* buf = batch_buf_[fi].data() + b * plen;
      build_echo_request(buf, f, channels_[ch].id, o.seq, slot.cookie, settings_.payload);
      batch_msgs_[fi].push_back({t.sa(), t.len, buf, plen});
      batch_slots_[fi].push_back(o);
      ++b;
    }
    deferred_.erase(deferred_.begin(), deferred_.begin() + static_cast<std::ptrdiff_t>(k));
    const size_t before = deferred_.size();
    flush(f);
    if (deferred_.size() > before) {
      // Refused again: what flush() kept went to the back; restore the order.
      std::rotate(deferred_.begin(), deferred_.begin() + static_cast<std::ptrdiff_t>(before), deferred_.end());
      return;
    }
  }
}

size_t Prober::send_due(SteadyTime now, std::optional<SteadyTime>& next_send) {
  const size_t n = targets_.size();
  const size_t plen = kEchoHeader + std::max(settings_.payload, kCookieBytes);
  size_t sent = 0;
  uint32_t batch_channel[2] = {UINT32_MAX, UINT32_MAX};
  resend_deferred();
  if (!deferred_.empty()) {
    next_send = now + std::chrono::milliseconds(1);  // the socket is still full: try again shortly
    return 0;
  }
  while (next_pass_ < static_cast<size_t>(settings_.count) && n > 0) {
    SteadyTime due = start_ + settings_.probe_interval * static_cast<int64_t>(next_pass_);
    if (settings_.rate > 0) {
      auto token = start_ + std::chrono::duration_cast<Duration>(
                                std::chrono::duration<double>(static_cast<double>(sent_in_round_) / settings_.rate));
      due = std::max(due, token);
    }
    if (due > now) {
      next_send = due;
      break;
    }
    if (sent >= kSendBudget) break;
    const uint32_t ti = static_cast<uint32_t>(next_target_);
    const ProbeAddress& t = targets_[ti];
    const int fi = static_cast<int>(t.family);
    uint32_t ch;
    uint16_t seq;
    if (!take_slot(t.family, ch, seq)) {
      // Every slot is held: wait for the oldest deadline to free one.
      if (!pending_.empty()) next_send = pending_.front().deadline;
      break;
    }
    if (batch_channel[fi] != ch || batch_msgs_[fi].size() == static_cast<size_t>(IcmpSocket::kBatch)) {
      flush(t.family);
      batch_channel[fi] = ch;
    }
    Channel& c = channels_[ch];
    Slot& slot = c.slots[seq];
    slot.cookie = rng_();
    slot.target = ti;
    slot.probe = static_cast<uint16_t>(next_pass_);
    slot.state = 1;
    if (!deferred_.empty()) {
      // The socket is full: this probe waits behind the deferred ones.
      deferred_.push_back({slot.cookie, ch, seq});
      pending_.push_back({now + settings_.timeout, ch, seq});
      ++waiting_;
      ++sent_in_round_;
      if (++next_target_ == n) {
        next_target_ = 0;
        ++next_pass_;
      }
      next_send = now + std::chrono::milliseconds(1);
      break;
    }
    const size_t k = batch_msgs_[fi].size();
    uint8_t* buf = batch_buf_[fi].data() + k * plen;
    build_echo_request(buf, t.family, c.id, seq, slot.cookie, settings_.payload);
    batch_msgs_[fi].push_back({t.sa(), t.len, buf, plen});
    batch_slots_[fi].push_back({slot.cookie, ch, seq});
    batch_targets_[fi].push_back(ti);
    pending_.push_back({now + settings_.timeout, ch, seq});
    ++waiting_;
    ++sent_in_round_;
    ++sent;
    if (++next_target_ == n) {
      next_target_ = 0;
      ++next_pass_;
    }
  }
  flush(Family::v4);
  flush(Family::v6);
  return sent;
}

Prober::Step Prober::step(SteadyTime now) {
  Step st;
  if (!running_) {
    // Between rounds: read and drop whatever arrives (late replies), so the
    // sockets do not stay readable.
    for (auto* s : socket_list_) drain(*s, kReceiveBudget);
    st.done = true;
    return st;
  }
  for (auto* s : socket_list_) drain(*s, kReceiveBudget);
  expire(now);
  std::optional<SteadyTime> next_send;
  size_t sent = send_due(now, next_send);
  const bool all_sent = next_pass_ >= static_cast<size_t>(settings_.count) || targets_.empty();
  if (all_sent && waiting_ == 0) {
    // Complete: every probe answered or expired. Free the slots at once.
    for (const auto& p : pending_) release(p.channel, p.seq);
    pending_.clear();
    deferred_.clear();  // only expired probes can be left here
    running_ = false;
    st.done = true;
    return st;
  }
  if (!all_sent && !next_send && sent >= kSendBudget) st.again = true;
  std::optional<SteadyTime> wake = next_send;
  if (!pending_.empty() && (!wake || pending_.front().deadline < *wake)) wake = pending_.front().deadline;
  st.wake = wake;
  return st;
}

}  // namespace routerpulse::icmp
