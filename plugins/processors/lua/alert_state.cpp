#include "alert_state.hpp"

namespace routerpulse::lua {

const char* to_string(AlertPhase p) noexcept {
  switch (p) {
    case AlertPhase::inactive: return "inactive";
    case AlertPhase::pending: return "pending";
    case AlertPhase::firing: return "firing";
  }
  return "inactive";
}

void AlertTracker::set_phase(State& s, AlertPhase p) noexcept {
  if (s.phase == AlertPhase::firing) --firing_;
  if (s.phase == AlertPhase::pending) --pending_;
  s.phase = p;
  if (p == AlertPhase::firing) ++firing_;
  if (p == AlertPhase::pending) ++pending_;
}

bool AlertTracker::removable(const State& s, int64_t now) const noexcept {
  return s.phase == AlertPhase::inactive && (s.resolved_at == kNever || now - s.resolved_at >= s.cooldown_ns);
}

void AlertTracker::fire(State& s, const AlertSpec& spec, int64_t t, MetricBatch& events) {
  set_phase(s, AlertPhase::firing);
  s.fired_at = t;
  s.name.assign(spec.name);
  s.key.assign(spec.key);
  s.severity.assign(spec.severity);
  s.message.assign(spec.message);
  s.value = spec.value;
  s.labels.clear();
  s.annotations.clear();
  if (spec.extras) spec.extras(spec.extras_ctx, s.labels, s.annotations);
  ++fired_total_;

  Metric& ev = events.emplace_back("alert", t);
  ev.reserve(3 + s.labels.size(), 4 + s.annotations.size());
  ev.set_tag("alertname", s.name).set_tag("severity", s.severity);
  if (!s.key.empty()) ev.set_tag("key", s.key);
  for (const Tag& l : s.labels) ev.set_tag(l.key, l.value);
  for (const Field& a : s.annotations) ev.set_field(a.key, a.value);
  ev.set_field("status", std::string("firing"))
      .set_field("value", s.value)
      .set_field("message", s.message)
      .set_field("started_at", s.fired_at);
}

void AlertTracker::resolve(State& s, int64_t t, std::string_view message, double value, const AlertSpec* spec,
                           const char* reason, MetricBatch& events) {
  set_phase(s, AlertPhase::inactive);
  s.resolved_at = t;
  ++resolved_total_;

  Metric& ev = events.emplace_back("alert", t);
  ev.reserve(3 + s.labels.size(), 5 + s.annotations.size());
  ev.set_tag("alertname", s.name).set_tag("severity", s.severity);
  if (!s.key.empty()) ev.set_tag("key", s.key);
  for (const Tag& l : s.labels) ev.set_tag(l.key, l.value);
  if (spec) {
    std::vector<Tag> ignored;  // a resolved event keeps the firing event's labels
    std::vector<Field> annotations;
    if (spec->extras) spec->extras(spec->extras_ctx, ignored, annotations);
    for (const Field& a : annotations) ev.set_field(a.key, a.value);
  } else {
    for (const Field& a : s.annotations) ev.set_field(a.key, a.value);
  }
  ev.set_field("status", std::string("resolved"))
      .set_field("value", value)
      .set_field("message", std::string(message))
      .set_field("started_at", s.fired_at)
      .set_field("reason", std::string(reason));
}

void AlertTracker::lookup_key(const AlertSpec& spec) {
  scratch_.assign(spec.name);
  scratch_ += '\x1f';
  scratch_.append(spec.key);
}

// Mirrors evaluate() below: keep the two in step.
bool AlertTracker::needs_message(const AlertSpec& spec, int64_t t) {
  lookup_key(spec);
  const auto it = states_.find(scratch_);
  if (it == states_.end()) return spec.condition && spec.for_ns <= 0;  // fires at once
  const State& s = it->second;
  if (t < s.last_eval) return false;
  if (s.phase == AlertPhase::firing) return true;  // resolves, or keeps the message
  if (!spec.condition) return false;
  const int64_t active_at = s.phase == AlertPhase::inactive ? t : s.active_at;
  const bool held = t - active_at >= spec.for_ns;
  const bool cooled = s.resolved_at == kNever || t - s.resolved_at >= spec.cooldown_ns;
  return held && cooled;
}

AlertPhase AlertTracker::evaluate(const AlertSpec& spec, int64_t t, MetricBatch& events) {
  lookup_key(spec);
  auto it = states_.find(scratch_);
  if (!spec.condition) {
    if (it == states_.end()) return AlertPhase::inactive;  // the common case: nothing stored
    State& s = it->second;
    if (t < s.last_eval) return s.phase;
    s.last_eval = t;
    s.cooldown_ns = spec.cooldown_ns;
    s.stale_after_ns = spec.stale_after_ns;
    if (s.phase == AlertPhase::firing)
      resolve(s, t, spec.message, spec.value, &spec, "condition", events);
    else if (s.phase == AlertPhase::pending)
      set_phase(s, AlertPhase::inactive);
    if (removable(s, t)) states_.erase(it);
    return AlertPhase::inactive;
  }
  if (it == states_.end()) it = states_.emplace(scratch_, State{}).first;
  State& s = it->second;
  if (t < s.last_eval) return s.phase;
  s.last_eval = t;
  s.cooldown_ns = spec.cooldown_ns;
  s.stale_after_ns = spec.stale_after_ns;
  if (s.phase == AlertPhase::firing) {
    s.value = spec.value;
    s.message.assign(spec.message);
    return AlertPhase::firing;
  }
  if (s.phase == AlertPhase::inactive) {
    set_phase(s, AlertPhase::pending);
    s.active_at = t;
  }
  const bool held = t - s.active_at >= spec.for_ns;
  const bool cooled = s.resolved_at == kNever || t - s.resolved_at >= s.cooldown_ns;
  if (held && cooled) fire(s, spec, t, events);
  return s.phase;
}

void AlertTracker::expire(int64_t now_ns, MetricBatch& events) {
  for (auto it = states_.begin(); it != states_.end();) {
    State& s = it->second;
    if (s.phase != AlertPhase::inactive && s.stale_after_ns > 0 && now_ns - s.last_eval >= s.stale_after_ns) {
      if (s.phase == AlertPhase::firing)
        resolve(s, now_ns, s.message, s.value, nullptr, "stale", events);
      else
        set_phase(s, AlertPhase::inactive);
    }
    it = removable(s, now_ns) ? states_.erase(it) : std::next(it);
  }
}

}  // namespace routerpulse::lua
