// routeros_traffic — which customer a simple queue belongs to.
//
// Rules, tried in this order (the first that fits wins):
//  1. name `<pppoe-USER>`: the dynamic queue the PPPoE server creates for the
//     session of USER from the profile's rate-limit (RouterOS manual, PPP →
//     "Profiles": rate-limit creates a dynamic simple queue named after the
//     interface) → pppoe_user USER;
//  2. `queue_name_patterns` in order (`customer-{user}`): the name fits and,
//     when PPPoE sessions are tracked, USER has an active PPPoE session on
//     this router (so `{user}` alone does not claim every queue) → USER;
//  3. an address of the queue's `target` (a comma list of `address[/prefix]`
//     or interface names; the prefix is ignored) is the `address` of an active
//     PPPoE session → that session's user;
//  4. an address of the target is a `static_targets` address (an entry whose
//     tag `router` names another router does not count) → that target's tags.
// Otherwise the queue is unmatched.
//
// Threading: one per router, used on the input's strand. The views handed to
// set_sessions()/set_static() must stay valid until the next call (they point
// into the tracker's session table and the shared target list, which do not
// change while a poll is processed).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pppoe_session.hpp"
#include "queue_options.hpp"
#include "targets/target_spec.hpp"

namespace routerpulse::routeros_traffic {

/// How a queue was matched.
enum class MatchRule : uint8_t { none, pppoe_name, pattern, pppoe_address, static_target };
const char* to_string(MatchRule r) noexcept;

struct QueueOwner {
  MatchRule rule = MatchRule::none;
  std::string_view pppoe_user;                         ///< rules 1–3
  const targets::TargetSpec* static_target = nullptr;  ///< rule 4
};

class QueueMatcher {
 public:
  /// `router` filters static targets by their `router` tag.
  QueueMatcher(std::string router, const std::vector<NamePattern>& patterns);

  /// The active PPPoE sessions of this poll; nullptr when PPPoE sessions are
  /// not tracked (`pppoe: none`: rule 2 then accepts any user, rule 3 is off).
  void set_sessions(const std::unordered_map<std::string, PppoeSession>* sessions);
  /// The static targets (rule 4); an empty list turns the rule off.
  void set_static(const std::vector<targets::TargetSpec>& list);

  QueueOwner match(std::string_view name, std::string_view target) const;

 private:
  std::string router_;
  const std::vector<NamePattern>& patterns_;
  bool tracking_ = false;
  std::unordered_set<std::string_view> users_;
  std::unordered_map<std::string_view, std::string_view> user_by_address_;
  std::unordered_map<std::string_view, const targets::TargetSpec*> static_by_address_;
};

/// Calls `fn(address)` for the address of each entry of a queue `target`
/// (`10.0.0.1/32,10.0.0.2` → 10.0.0.1, 10.0.0.2; interface names such as
/// `<pppoe-x>` or `ether1` are skipped: they contain no '.' or ':').
/// Stops and returns true when `fn` returns true.
template <class F>
bool for_each_target_address(std::string_view target, F fn) {
  while (!target.empty()) {
    const size_t comma = target.find(',');
    std::string_view part = target.substr(0, comma);
    target = comma == std::string_view::npos ? std::string_view() : target.substr(comma + 1);
    if (const size_t slash = part.find('/'); slash != std::string_view::npos) part = part.substr(0, slash);
    if (part.empty() || part.front() == '<' || part.find_first_of(".:") == std::string_view::npos) continue;
    if (fn(part)) return true;
  }
  return false;
}

}  // namespace routerpulse::routeros_traffic
