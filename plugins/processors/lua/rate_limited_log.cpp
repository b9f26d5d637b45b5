#include "rate_limited_log.hpp"

namespace routerpulse::lua {

void RateLimitedLog::log(spdlog::level::level_enum level, std::string_view key, std::string_view message) noexcept {
  try {
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry{}).first;
    Entry& e = it->second;
    const auto now = Clock::now();
    if (e.seen && now - e.last < interval_) {
      ++e.suppressed;
      return;
    }
    if (e.suppressed > 0)
      log_->log(level, "{} ({} similar messages suppressed)", message, e.suppressed);
    else
      log_->log(level, "{}", message);
    e.seen = true;
    e.last = now;
    e.suppressed = 0;
  } catch (...) {
  }
}

}  // namespace routerpulse::lua
