// routeros_traffic — queue → customer matching (see queue_match.hpp).
#include "queue_match.hpp"

namespace routerpulse::routeros_traffic {

const char* to_string(MatchRule r) noexcept {
  switch (r) {
    case MatchRule::pppoe_name: return "pppoe_name";
    case MatchRule::pattern: return "pattern";
    case MatchRule::pppoe_address: return "pppoe_address";
    case MatchRule::static_target: return "static_target";
    case MatchRule::none: break;
  }
  return "none";
}

QueueMatcher::QueueMatcher(std::string router, const std::vector<NamePattern>& patterns)
    : router_(std::move(router)), patterns_(patterns) {}

void QueueMatcher::set_sessions(const std::unordered_map<std::string, PppoeSession>* sessions) {
  users_.clear();
  user_by_address_.clear();
  tracking_ = sessions != nullptr;
  if (!sessions) return;
  users_.reserve(sessions->size());
  user_by_address_.reserve(sessions->size());
  for (const auto& [id, s] : *sessions) {
    users_.insert(s.user);
    if (!s.address.empty()) user_by_address_.emplace(s.address, s.user);
  }
}

void QueueMatcher::set_static(const std::vector<targets::TargetSpec>& list) {
  static_by_address_.clear();
  for (const auto& t : list) {
    bool other_router = false;
    for (const auto& tag : t.tags)
      if (tag.key == "router" && tag.value != router_) other_router = true;
    if (!other_router) static_by_address_.emplace(t.name, &t);  // the first entry of an address wins
  }
}

QueueOwner QueueMatcher::match(std::string_view name, std::string_view target) const {
  QueueOwner o;
  constexpr std::string_view kPrefix = "<pppoe-";
  if (name.size() > kPrefix.size() + 1 && name.starts_with(kPrefix) && name.back() == '>') {
    o.rule = MatchRule::pppoe_name;
    o.pppoe_user = name.substr(kPrefix.size(), name.size() - kPrefix.size() - 1);
    return o;
  }
  for (const auto& p : patterns_) {
    const std::string_view user = p.user_of(name);
    if (user.empty() || (tracking_ && !users_.count(user))) continue;
    o.rule = MatchRule::pattern;
    o.pppoe_user = user;
    return o;
  }
  if (!user_by_address_.empty() && for_each_target_address(target, [&](std::string_view a) {
        auto it = user_by_address_.find(a);
        if (it == user_by_address_.end()) return false;
        o.pppoe_user = it->second;
        return true;
      })) {
    o.rule = MatchRule::pppoe_address;
    return o;
  }
  if (!static_by_address_.empty() && for_each_target_address(target, [&](std::string_view a) {
        auto it = static_by_address_.find(a);
        if (it == static_by_address_.end()) return false;
        o.static_target = it->second;
        return true;
      })) {
    o.rule = MatchRule::static_target;
    return o;
  }
  return o;
}

}  // namespace routerpulse::routeros_traffic
