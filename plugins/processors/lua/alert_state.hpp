// processors/lua — alert state per (name, key), modelled on Prometheus
// alerting rules (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/):
//
//   inactive --condition true--> pending --held for `for`--> firing
//   pending  --condition false--> inactive              (no event, like Prometheus)
//   firing   --condition false--> inactive + "resolved" event
//   firing   --no evaluation for stale_after (expire)--> inactive + "resolved" event (reason "stale")
//
// Time is the evaluation time passed in (the metric's time, or tick's `now`),
// never the wall clock, so replaying the same samples gives the same events.
// - `for` = 0 fires on the first true evaluation. Otherwise it fires at the
//   first true evaluation with t - active_at >= for (active_at = time the
//   condition first became true in this episode).
// - `cooldown`: after a resolve at time r, the same (name, key) cannot fire
//   again before r + cooldown; it may be pending meanwhile and fires at the
//   first true evaluation after the cooldown once `for` also holds.
// - An evaluation older than the last one seen for that (name, key) is
//   ignored (out-of-order sample) and returns the current phase.
// - Events are emitted on transitions only: one "firing", one "resolved".
//   The resolved event carries the same tags (severity, labels) as its firing
//   event; value/message/annotations are those of the resolving evaluation
//   (for stale resolves: of the last evaluation while firing).
// Event metric: name `alert`, time = transition time; tags alertname,
// severity, key (omitted when empty) + labels; fields status
// ("firing"|"resolved"), value (double), message (string), started_at (int64
// ns, when it started firing), reason ("condition"|"stale", resolved only)
// + annotations.
// Memory: only pending, firing and cooling-down entries are stored.
// Threading: not thread-safe; used from the owning processor's strand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse::lua {

enum class AlertPhase { inactive, pending, firing };

/// "inactive" | "pending" | "firing".
const char* to_string(AlertPhase p) noexcept;

/// One evaluation. Views must stay valid for the duration of evaluate().
struct AlertSpec {
  /// Appends the labels (extra tags) and annotations (extra fields) of this
  /// evaluation; called only when an event is built, so evaluations without
  /// a transition cost no allocation. Must not throw except std::bad_alloc.
  using Extras = void (*)(const void* ctx, std::vector<Tag>& labels, std::vector<Field>& annotations);
  std::string_view name;      ///< alertname, non-empty
  std::string_view key;       ///< instance key (pppoe user, router); may be empty
  std::string_view severity;  ///< e.g. "warning", "critical"
  std::string_view message;   ///< human text for the event
  bool condition = false;
  double value = 0;            ///< the measured value behind the condition
  int64_t for_ns = 0;          ///< hold time before firing, ns ≥ 0
  int64_t cooldown_ns = 0;     ///< minimum time between resolve and next firing, ns ≥ 0
  int64_t stale_after_ns = 0;  ///< resolve a firing alert not evaluated for this long; 0 = never
  Extras extras = nullptr;     ///< may be null: no labels, no annotations
  const void* extras_ctx = nullptr;
};

class AlertTracker {
 public:
  /// Evaluates `spec` at time `t_ns`; appends a transition event to `events`
  /// when one happens. Returns the phase after the evaluation.
  AlertPhase evaluate(const AlertSpec& spec, int64_t t_ns, MetricBatch& events);

  /// Whether evaluate(spec, t_ns) would read spec.message: when it fires,
  /// resolves, or keeps a firing alert's message for a stale resolve. Lets a
  /// caller build the message only then (spec.message is not read here).
  /// Changes no state; may throw std::bad_alloc.
  bool needs_message(const AlertSpec& spec, int64_t t_ns);

  /// Resolves firing alerts (and forgets pending ones) whose last evaluation
  /// is at least their stale_after before `now_ns`; forgets cooldowns that
  /// have ended. Appends resolved events (time = now_ns) to `events`.
  void expire(int64_t now_ns, MetricBatch& events);

  size_t firing() const noexcept { return firing_; }
  size_t pending() const noexcept { return pending_; }
  /// Counts of events emitted so far.
  uint64_t fired_total() const noexcept { return fired_total_; }
  uint64_t resolved_total() const noexcept { return resolved_total_; }

 private:
  static constexpr int64_t kNever = INT64_MIN;
  struct State {
    AlertPhase phase = AlertPhase::inactive;
    int64_t active_at = 0;
    int64_t fired_at = 0;
    int64_t last_eval = kNever;
    int64_t resolved_at = kNever;
    int64_t cooldown_ns = 0;
    int64_t stale_after_ns = 0;
    std::string name, key, severity;  ///< identity, captured when firing
    std::vector<Tag> labels;
    std::string message;  ///< last message/value while firing (stale resolve)
    double value = 0;
    std::vector<Field> annotations;
  };
  void set_phase(State& s, AlertPhase p) noexcept;
  void fire(State& s, const AlertSpec& spec, int64_t t, MetricBatch& events);
  void resolve(State& s, int64_t t, std::string_view message, double value, const AlertSpec* spec, const char* reason,
               MetricBatch& events);
  bool removable(const State& s, int64_t now) const noexcept;
  void lookup_key(const AlertSpec& spec);

  std::unordered_map<std::string, State> states_;
  std::string scratch_;  ///< reused lookup key: name '\x1f' key
  size_t firing_ = 0, pending_ = 0;
  uint64_t fired_total_ = 0, resolved_total_ = 0;
};

}  // namespace routerpulse::lua
