// arp_presence — one router's reads and verifications (router_round.hpp).
#include "router_round.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace routerpulse::arp_presence {

namespace rr = routeros;

// The ARP table is read as a stream with the session's zero-copy row
// callback: of a table of thousands only the rows of this router's targets
// are copied and parsed; nothing else is kept (a print collected as a Result
// holds every row of every router at once: 240 MB for 50 × 5,000 rows).
struct RouterRound::ArpSink {
  std::vector<std::string> addresses;
  std::unordered_map<std::string_view, size_t> by_address;  // views into addresses; read-only once built
  std::mutex mu;                                            // guards what follows
  bool closed = false;
  uint64_t rows = 0;
  std::vector<std::optional<ArpEntry>> best;

  void on_row(const rr::RowView& row) {
    std::string_view a;
    if (!row.get("address", a)) {
      std::lock_guard lk(mu);
      ++rows;
      return;
    }
    auto it = by_address.find(a);
    if (it == by_address.end()) {
      std::lock_guard lk(mu);
      ++rows;
      return;
    }
    rr::Attributes attrs;
    row.for_each_attribute([&](std::string_view k, std::string_view v) { attrs.emplace_back(k, v); });
    auto e = parse_arp_row(attrs);
    std::lock_guard lk(mu);
    ++rows;
    if (closed || !e) return;
    auto& b = best[it->second];
    if (!b || e->rank() > b->rank()) b = std::move(*e);
  }
};

RouterRound::RouterRound(Strand strand, Clock& clock, std::shared_ptr<rr::Session> session, const Settings& s,
                         const std::vector<std::string>& addresses, std::vector<std::string> iface_hints,
                         std::function<void()> on_done)
    : strand_(std::move(strand)),
      clock_(clock),
      session_(std::move(session)),
      s_(s),
      sink_(std::make_shared<ArpSink>()),
      iface_hints_(std::move(iface_hints)),
      on_done_(std::move(on_done)),
      findings_(addresses.size()) {
  sink_->addresses = addresses;
  sink_->best.resize(addresses.size());
  sink_->by_address.reserve(addresses.size());
  for (size_t i = 0; i < sink_->addresses.size(); ++i) sink_->by_address.emplace(sink_->addresses[i], i);
}

RouterRound::~RouterRound() {
  if (arp_stream_) arp_stream_->cancel();
}

rr::CommandOptions RouterRound::command_options(Duration cap) const {
  rr::CommandOptions o;
  o.executor = strand_;
  Duration left = deadline_ - clock_.steady_now();
  o.timeout = std::max<Duration>(std::min(cap, left), std::chrono::milliseconds(1));
  return o;
}

void RouterRound::start(SteadyTime deadline) {
  deadline_ = deadline;
  if (!session_) return fail("not in the routers: section");
  // A session still connecting (start-up) queues the reads; one waiting to
  // reconnect after a failure is down now: no use waiting for the deadline.
  const auto state = session_->state();
  if (state == rr::SessionState::backoff || state == rr::SessionState::stopped)
    return fail(std::string("API session is ") + rr::to_string(state));
  bytes_before_ = session_->counters().bytes_received;
  std::weak_ptr<RouterRound> w = weak_from_this();
  const Duration read_cap = session_->config().timeout;
  if (s_.source != Source::dhcp) {
    ++reads_pending_;
    // The fields the verdict uses; `DHCP` is RouterOS 6's spelling of `dhcp`.
    rr::Command c("/ip/arp/print");
    c.proplist({"address", "mac-address", "interface", "status", "complete", "dynamic", "disabled", "invalid", "dhcp",
                "DHCP"});
    rr::StreamOptions so;
    so.executor = strand_;
    so.on_row = [sink = sink_](const rr::RowView& row) { sink->on_row(row); };
    arp_stream_ = session_->stream(
        std::move(c), [](const rr::Reply&) {},
        [w](const rr::StreamEvent& ev) {
          if (auto self = w.lock()) self->on_arp_event(ev);
        },
        std::move(so));
  }
  if (s_.source != Source::arp) {
    ++reads_pending_;
    rr::Command c("/ip/dhcp-server/lease/print");
    c.proplist({"address", "mac-address", "status", "last-seen", "active-address", "active-mac-address"});
    session_->execute(
        std::move(c),
        [w](rr::Result r) {
          if (auto self = w.lock()) self->on_leases(std::move(r));
        },
        command_options(read_cap));
  }
}

void RouterRound::on_arp_event(const rr::StreamEvent& ev) {
  if (done_) return;
  switch (ev.type) {
    case rr::StreamEventType::resumed: return;
    case rr::StreamEventType::interrupted:
      // Rows before the loss would be read again after the reconnect: this
      // round's answer is gone; the next round reads afresh.
      return fail("connection lost during the ARP read: " + ev.error.message);
    case rr::StreamEventType::ended:
      if (ev.error) return fail(ev.error.message);
      return on_arp_done();
  }
}

void RouterRound::on_arp_done() {
  --reads_pending_;
  arp_stream_.reset();
  {
    std::lock_guard lk(sink_->mu);
    sink_->closed = true;
    counters_.arp_rows += sink_->rows;
    for (size_t i = 0; i < findings_.size(); ++i) findings_[i].entry = std::move(sink_->best[i]);
  }
  if (reads_pending_ == 0) reads_done();
}

void RouterRound::on_leases(rr::Result r) {
  if (done_) return;
  --reads_pending_;
  if (!r.ok()) {
    // Only leases: the router's answer is all there is. Both: ARP decides.
    if (s_.source == Source::dhcp || r.error.kind != rr::ErrorKind::trap) return fail(r.error.message);
    error_ = r.error.message;
  } else {
    counters_.lease_rows += r.rows.size();
    for (const auto& row : r.rows) {
      if (row.type != rr::ReplyType::re) continue;
      auto l = parse_lease_row(row.attributes);
      if (!l) continue;
      auto it = sink_->by_address.find(l->address);
      if (it == sink_->by_address.end()) continue;
      auto& best = findings_[it->second].lease;
      if (!best || (lease_online(*l, s_.lease_max_age_s) && !lease_online(*best, s_.lease_max_age_s)))
        best = std::move(*l);
    }
  }
  if (reads_pending_ == 0) reads_done();
}

void RouterRound::reads_done() {
  if (done_ || !router_up_) return;
  // Verdicts from the tables; doubtful entries first in the verification
  // queue (they are the likely-present hosts), then the missing ones.
  std::vector<size_t> doubt, missing;
  for (size_t i = 0; i < findings_.size(); ++i) {
    Finding& f = findings_[i];
    const ArpEntry* e = f.entry ? &*f.entry : nullptr;
    const ArpVerdict v = s_.source == Source::dhcp ? ArpVerdict::offline : judge(e);
    if (e) f.mac = e->mac;
    if (v == ArpVerdict::online) {
      f.online = true;
      f.verified_by = "arp";
      continue;
    }
    if (f.lease && lease_online(*f.lease, s_.lease_max_age_s)) {
      f.online = true;
      f.verified_by = "dhcp";
      if (f.mac.empty()) f.mac = f.lease->mac;
      continue;
    }
    // Without verification an entry that exists with a MAC counts (stale:
    // the host was there recently); with it, the router's ping decides.
    f.online = v == ArpVerdict::doubt;
    f.verified_by = f.online ? "arp" : "";
    if (s_.verify == Verify::none) continue;
    f.verify_wanted = true;
    (v == ArpVerdict::doubt ? doubt : missing).push_back(i);
  }
  queue_ = std::move(doubt);
  queue_.insert(queue_.end(), missing.begin(), missing.end());
  const size_t budget = static_cast<size_t>(s_.max_verifications);
  if (queue_.size() > budget) {
    counters_.verifications_skipped += queue_.size() - budget;
    queue_.resize(budget);
  }
  next_pings();
}

void RouterRound::next_pings() {
  if (done_) return;
  std::weak_ptr<RouterRound> w = weak_from_this();
  while (in_flight_ < s_.verify_concurrency && next_ < queue_.size()) {
    const size_t i = queue_[next_++];
    const Finding& f = findings_[i];
    rr::Command c("/ping");
    c.attr("address", sink_->addresses[i]).attr("count", "1");
    const char* method = "ping";
    if (s_.verify == Verify::arp_ping) {
      // ARP ping needs the interface the host is on: its entry's, else the
      // target's `interface` tag; without either, an ICMP ping.
      std::string iface = f.entry && !f.entry->interface.empty() ? f.entry->interface : iface_hints_[i];
      if (!iface.empty()) {
        c.attr("arp-ping", "yes").attr("interface", iface);
        method = "arp-ping";
      }
    }
    ++in_flight_;
    ++counters_.pings;
    session_->execute(
        std::move(c),
        [w, i, method](rr::Result r) {
          if (auto self = w.lock()) self->on_ping(i, method, std::move(r));
        },
        command_options(s_.verify_timeout));
  }
  if (in_flight_ == 0 && next_ >= queue_.size()) complete();
}

void RouterRound::on_ping(size_t i, const char* method, rr::Result r) {
  if (done_) return;
  --in_flight_;
  Finding& f = findings_[i];
  if (!r.ok()) {
    // A trap (e.g. arp-ping on an interface that is gone) or a timeout: the
    // ping proved nothing either way; the table's verdict stands.
    ++counters_.ping_errors;
    if (error_.empty()) error_ = r.error.message;
  } else {
    const PingResult p = parse_ping_rows(r.rows);
    f.verified = true;
    f.online = p.replied;
    f.verified_by = p.replied ? method : "";
    if (p.replied) {
      ++counters_.ping_replies;
      f.rtt_ms = p.rtt_ms;
    }
  }
  next_pings();
}

void RouterRound::fail(std::string why) {
  if (done_) return;
  close_arp_read();
  router_up_ = false;
  error_ = std::move(why);
  for (auto& f : findings_) f = Finding{};
  complete();
}

void RouterRound::finish_now() {
  if (done_) return;
  if (reads_pending_ > 0) return fail("no answer to the table read before the round's deadline");
  counters_.verifications_skipped += (queue_.size() - next_) + static_cast<size_t>(in_flight_);
  complete();
}

void RouterRound::close_arp_read() {
  if (arp_stream_) arp_stream_->cancel();
  arp_stream_.reset();
  std::lock_guard lk(sink_->mu);
  sink_->closed = true;
}

void RouterRound::complete() {
  if (done_) return;
  done_ = true;
  close_arp_read();
  if (session_ && router_up_) counters_.bytes_received = session_->counters().bytes_received - bytes_before_;
  boost::asio::post(strand_, [w = weak_from_this()] {
    if (auto self = w.lock())
      if (self->on_done_) std::exchange(self->on_done_, nullptr)();
  });
}

}  // namespace routerpulse::arp_presence
