// arp_presence — one router's part of a round: one `/ip/arp/print` (and, with
// `source: dhcp|both`, one `/ip/dhcp-server/lease/print`) with `.proplist`
// limited to the fields used, matched in the agent against this router's
// targets; then `/ping` from the router itself for the targets whose entry
// proves nothing (stale, permanent, DHCP add-arp, missing, failed, …), at
// most `max_verifications` per round and `verify_concurrency` at a time,
// bounded by the round's deadline.
//
// The ARP table is read as a stream with the session's zero-copy row
// callback (StreamOptions::on_row, on the session's strand): only the rows of
// this router's targets are copied; `!done` ends it, a connection loss
// during it fails the router for this round (no partial table).
//
// Threading: every method and callback on the input's strand, except the
// row callback, which shares only ArpSink (under its mutex). Keep it in a
// std::shared_ptr; callbacks hold it weakly. `on_done` is called exactly
// once, on the strand, never from inside start() or finish_now().
#pragma once

#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "arp_entry.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/session.hpp"
#include "settings.hpp"

namespace routerpulse::arp_presence {

/// How one target was judged in a round.
struct Finding {
  bool online = false;
  const char* verified_by = "";   ///< arp | ping | arp-ping | dhcp; "" when not online
  std::optional<ArpEntry> entry;  ///< the best ARP row for the address
  std::optional<Lease> lease;
  std::optional<double> rtt_ms;  ///< when a ping answered
  std::string mac;               ///< entry's MAC, else the lease's
  bool verify_wanted = false;    ///< the ARP/lease data left doubt
  bool verified = false;         ///< a ping finished for it
};

struct RoundCounters {
  uint64_t arp_rows = 0, lease_rows = 0;
  uint64_t pings = 0, ping_replies = 0, ping_errors = 0;
  uint64_t verifications_skipped = 0;  ///< over max_verifications or cut by the deadline
  uint64_t bytes_received = 0;         ///< bytes the session read during the round
};

class RouterRound : public std::enable_shared_from_this<RouterRound> {
 public:
  /// `addresses[i]` is target i of this router; `iface_hints[i]` an interface
  /// for arp-ping when the ARP table has no entry (may be empty).
  RouterRound(Strand strand, Clock& clock, std::shared_ptr<routeros::Session> session, const Settings& s,
              const std::vector<std::string>& addresses, std::vector<std::string> iface_hints,
              std::function<void()> on_done);
  /// Cancels a read still running (stop()).
  ~RouterRound();

  /// Starts the reads (a router whose session is in backoff fails at once;
  /// one still connecting gets them queued, bounded by the deadline).
  void start(SteadyTime deadline);
  /// The deadline: reads not answered → router down; pings not answered →
  /// the ARP verdict stands. Calls on_done (posted) if not done yet.
  void finish_now();

  bool router_up() const noexcept { return router_up_; }
  const std::string& error() const noexcept { return error_; }
  const std::vector<Finding>& findings() const noexcept { return findings_; }
  const RoundCounters& counters() const noexcept { return counters_; }

 private:
  /// What the ARP read's row callback shares with this round: it runs on the
  /// session's strand (zero-copy rows), the rest on the input's strand.
  struct ArpSink;
  void on_arp_event(const routeros::StreamEvent& ev);
  void on_arp_done();
  void close_arp_read();
  void on_leases(routeros::Result r);
  void reads_done();
  void next_pings();
  void on_ping(size_t i, const char* method, routeros::Result r);
  void fail(std::string why);
  void complete();
  routeros::CommandOptions command_options(Duration cap) const;

  Strand strand_;
  Clock& clock_;
  std::shared_ptr<routeros::Session> session_;
  const Settings& s_;
  std::shared_ptr<ArpSink> sink_;  // holds the addresses and the index by address
  routeros::StreamPtr arp_stream_;
  std::vector<std::string> iface_hints_;
  std::function<void()> on_done_;
  std::vector<Finding> findings_;
  std::vector<size_t> queue_;  // targets to verify, in order
  size_t next_ = 0;
  int in_flight_ = 0;
  int reads_pending_ = 0;
  bool reads_ok_ = true;
  bool router_up_ = true;
  bool done_ = false;
  std::string error_;
  SteadyTime deadline_{};
  uint64_t bytes_before_ = 0;
  RoundCounters counters_;
};

}  // namespace routerpulse::arp_presence
