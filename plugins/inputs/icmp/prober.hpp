// icmp — the round engine: sends `count` echo requests to every target over one
// socket per address family, paced by a global rate, and matches replies.
//
// Matching (see icmp_packet.hpp): a probe holds a *slot*, the 16-bit
// sequence number of one *channel*. A channel is one 65,536-slot sequence
// space: in datagram mode its own socket (the kernel owns the id), in raw mode
// an echo id of our own on the shared raw socket. A reply counts only when its
// slot is in use, its source address is the probe's target and the 64-bit
// random cookie in its payload is the probe's. A slot stays held until the
// probe's deadline (so duplicates are recognised) or the end of the round.
// A new channel is opened only when every slot of the existing ones is held,
// i.e. beyond 65,536 probes in flight per family.
//
// Time: pacing and deadlines use the caller's steady clock (`now` arguments,
// from ctx.clock); RTT = kernel receive stamp (SO_TIMESTAMPNS, CLOCK_REALTIME)
// − CLOCK_REALTIME read right before the sendmmsg(2) carrying the probe. All
// deadlines are one FIFO queue (the timeout is the same for every probe, so
// send order is deadline order): one timer serves the whole round.
//
// Threading: not synchronised; one strand calls everything.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "icmp_socket.hpp"
#include "round_stats.hpp"
#include "routerpulse/clock.hpp"

namespace routerpulse::icmp {

struct ProbeSettings {
  int count = 3;
  Duration probe_interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(1);
  size_t payload = 56;  ///< ICMP payload bytes (>= 8: the cookie)
  int ttl = 64;
  double rate = 0;  ///< probes per second over all targets; 0 = as fast as the sockets take them
};

/// Where to send one target's probes this round.
struct ProbeAddress {
  union {
    sockaddr_in v4;
    sockaddr_in6 v6;
  } addr{};
  socklen_t len = 0;
  Family family = Family::v4;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&addr); }
};

/// Counters the component turns into self-metrics (cumulative).
struct ProberCounters {
  uint64_t sent = 0, received = 0, late = 0, unmatched = 0, duplicates = 0, send_errors = 0, errors = 0, deferred = 0;
};

class Prober {
 public:
  enum class ModeChoice { auto_, unprivileged, raw };

  explicit Prober(ProbeSettings s);
  ~Prober();

  /// Opens the IPv4 socket (and the IPv6 one when `want_v6`). Returns an
  /// empty string on success, else the user-facing reason (what to grant).
  /// An IPv6 failure alone is not fatal: see family_error().
  std::string open(ModeChoice mode, bool want_v6);
  /// Why a family cannot be probed (empty when it can).
  const std::string& family_error(Family f) const { return family_error_[static_cast<int>(f)]; }
  /// The mode each family uses (valid when family_error is empty).
  Mode mode(Family f) const { return mode_[static_cast<int>(f)]; }

  /// Every open socket; grows when a channel is added (check after step()).
  const std::vector<IcmpSocket*>& sockets() const { return socket_list_; }

  /// Starts a round over `targets` (one probe address each) at `now`.
  void begin(std::vector<ProbeAddress> targets, SteadyTime now);

  struct Step {
    bool done = false;               ///< the round is complete; read the results
    bool again = false;              ///< work is left that is due now: call step again soon (yielded)
    std::optional<SteadyTime> wake;  ///< when the next send or deadline is due
  };
  /// Does all due work: reads every socket, expires due deadlines, sends due
  /// probes (bounded per call so other work can interleave).
  Step step(SteadyTime now);

  bool running() const noexcept { return running_; }
  size_t target_count() const noexcept { return targets_.size(); }
  const TargetTally& tally(size_t i) const { return tallies_[i]; }
  /// The RTTs (ns, −1 = none) of target `i`, in probe order.
  std::span<const int64_t> rtts(size_t i) const {
    return {rtts_.data() + i * static_cast<size_t>(settings_.count), static_cast<size_t>(settings_.count)};
  }
  const ProberCounters& counters() const { return counters_; }
  /// Receive-buffer drops (SO_RXQ_OVFL) summed over all sockets.
  uint64_t socket_drops() const;
  /// Effective receive buffer of the last resize (bytes) and what was asked.
  int receive_buffer() const { return rcvbuf_effective_; }
  int receive_buffer_wanted() const { return rcvbuf_wanted_; }

 private:
  struct Slot {
    uint64_t cookie = 0;
    int64_t sent_ns = 0;  // CLOCK_REALTIME
    uint32_t target = 0;
    uint16_t probe = 0;
    uint8_t state = 0;  // 0 free, 1 waiting, 2 answered
  };
  struct Channel {
    IcmpSocket* socket = nullptr;
    uint16_t id = 0;  // raw: our id; dgram: the kernel's (informational)
    Family family = Family::v4;
    std::vector<Slot> slots;     // capacity: a power of two up to 65,536, grown as rounds need
    std::vector<uint16_t> free;  // ring of free sequence numbers (same size)
    size_t free_head = 0, free_count = 0;
  };
  struct Pending {
    SteadyTime deadline;
    uint32_t channel;
    uint16_t seq;
  };
  struct Outgoing {
    uint64_t cookie;  // to tell a deferred probe from a later user of its slot
    uint32_t channel;
    uint16_t seq;
  };

  std::string open_family(Family f, ModeChoice mode);
  int add_channel(Family f);
  void grow(Channel& c, size_t capacity);
  bool take_slot(Family f, uint32_t& channel, uint16_t& seq);
  void release(uint32_t channel, uint16_t seq);
  void drain(IcmpSocket& s, size_t budget);
  void handle(IcmpSocket& s, const InMessage& m);
  void expire(SteadyTime now);
  size_t send_due(SteadyTime now, std::optional<SteadyTime>& next_send);
  void flush(Family f);
  void resend_deferred();
  void size_receive_buffers();

  ProbeSettings settings_;
  std::mt19937_64 rng_;
  uint16_t raw_id_base_ = 0;
  std::vector<std::unique_ptr<IcmpSocket>> owned_;
  std::vector<IcmpSocket*> socket_list_;
  IcmpSocket* raw_socket_[2] = {nullptr, nullptr};
  Mode mode_[2] = {Mode::dgram, Mode::dgram};
  std::string family_error_[2];
  std::vector<Channel> channels_;
  std::vector<InMessage> in_;

  // Round state.
  bool running_ = false;
  std::vector<ProbeAddress> targets_;
  std::vector<TargetTally> tallies_;
  std::vector<int64_t> rtts_;
  std::deque<Pending> pending_;
  SteadyTime start_{};
  size_t next_pass_ = 0, next_target_ = 0;  // the next probe to send
  uint64_t sent_in_round_ = 0;
  uint64_t waiting_ = 0;     // sent, neither answered nor expired
  size_t want_slots_ = 256;  // slots a channel gets when first used this round
  // Per-family send batch (packets built in place).
  std::vector<uint8_t> batch_buf_[2];
  std::vector<OutMessage> batch_msgs_[2];
  std::vector<Outgoing> batch_slots_[2];
  std::vector<uint32_t> batch_targets_[2];
  std::deque<Outgoing> deferred_;  // built but refused by a full socket (EAGAIN/ENOBUFS), oldest first
  int rcvbuf_effective_ = 0, rcvbuf_wanted_ = 0;
  ProberCounters counters_;
};

}  // namespace routerpulse::icmp
