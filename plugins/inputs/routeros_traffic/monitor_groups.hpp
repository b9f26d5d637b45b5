// routeros_traffic — the `/interface/monitor-traffic` streams of one router.
//
// monitor-traffic takes a comma-separated `interface=` list and answers once
// per second with one `!re` per interface (RouterOS manual, Interface →
// "Traffic monitor"). Interfaces are packed into groups of at most
// `interfaces_per_command`; each group is one streaming command.
//
// Trade-off: RouterOS cannot add or remove interfaces of a running command,
// so a change re-issues the affected group (`/cancel` + a new command). The
// other interfaces of that group may miss about one sample while it restarts.
// Changes are debounced by `reissue_delay`, so a burst of PPPoE session churn costs
// one re-issue per touched group; new interfaces fill the free slots of
// groups that are being re-issued anyway, then of any group with room, before
// a new group is opened. Larger groups mean fewer commands and less router
// work; smaller groups limit how many interfaces one change or one `!trap`
// disturbs.
//
// A group whose command ends (`!trap`, e.g. "input does not match any value
// of interface" when a PPPoE session vanished first, or an unexpected `!done`) is
// re-issued with exponential backoff (1 s doubling to 30 s, reset by the next
// sample) and the owner is told through `on_failure` (the input then
// re-reads /ppp/active). After a reconnect the API session itself re-issues
// every running group.
//
// Threading: one per router, used on the input's strand; stream events are
// posted there and wrapped with TrafficInput::guarded(). Rows take the
// session's zero-copy path into the router's SampleSink (sample_sink.hpp). Streams are
// cancelled from the strand, which guarantees that no callback of a cancelled
// stream starts afterwards (session.hpp). The re-issue timer comes from
// ctx.clock, so `reissue_delay` and the backoff follow a test's ManualClock.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "routerpulse/backoff.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/session.hpp"
#include "sample_sink.hpp"
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

class TrafficInput;

class MonitorGroups {
 public:
  /// Group size and debounce come from the input's settings
  /// (`interfaces_per_command`, `reissue_delay`).
  /// Rows go to `sink` on the session's strand (zero-copy path).
  MonitorGroups(TrafficInput& input, std::shared_ptr<routeros::Session> api, RouterStats& stats,
                std::shared_ptr<SampleSink> sink, std::function<void()> on_failure);
  /// Cancels every stream (thread-safe), without callbacks.
  ~MonitorGroups();

  /// Starts monitoring `iface` (no-op when already monitored).
  void add(const std::string& iface);
  /// Stops monitoring `iface` (no-op when not monitored).
  void remove(const std::string& iface);
  bool contains(const std::string& iface) const { return where_.count(iface) != 0; }
  /// Monitored interfaces.
  size_t size() const noexcept { return where_.size(); }
  /// Running or pending monitor-traffic commands.
  size_t groups() const noexcept { return groups_.size(); }
  /// Cancels every stream and the timer.
  void stop();

 private:
  struct Group {
    uint64_t id = 0;
    std::vector<std::string> members;
    routeros::StreamPtr stream;
    bool dirty = false;
    SteadyTime not_before{};  ///< backoff after a failure
    /// Set by the row callback (session strand); a row since the last failure resets the backoff.
    std::shared_ptr<std::atomic<bool>> got_row = std::make_shared<std::atomic<bool>>(false);
    Backoff backoff{std::chrono::seconds(1), std::chrono::seconds(30), 2.0, 0.2};
  };

  Group& group_with_room();
  void mark_dirty(Group& g);
  void schedule(SteadyTime at);
  void reissue_due();
  void reissue(Group& g);
  void on_event(uint64_t group_id, uint64_t stream_id, const routeros::StreamEvent& ev);
  void publish();

  TrafficInput& input_;
  std::shared_ptr<routeros::Session> api_;
  size_t per_command_;
  Duration reissue_delay_;
  RouterStats& stats_;
  std::shared_ptr<SampleSink> sink_;
  std::function<void()> on_failure_;
  std::map<uint64_t, std::unique_ptr<Group>> groups_;
  std::unordered_map<std::string, uint64_t> where_;  // interface → group id
  uint64_t next_group_ = 1;
  std::unique_ptr<Timer> timer_;
  std::optional<SteadyTime> timer_at_;  // when the timer fires; empty = not armed
  bool stopped_ = false;
};

}  // namespace routerpulse::routeros_traffic
