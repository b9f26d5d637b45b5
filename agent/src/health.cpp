#include "routerpulse/health.hpp"

#include <nlohmann/json.hpp>

namespace routerpulse {

const char* to_string(HealthState s) noexcept {
  switch (s) {
    case HealthState::healthy: return "healthy";
    case HealthState::degraded: return "degraded";
    case HealthState::unhealthy: return "unhealthy";
  }
  return "unknown";
}

void HealthRegistry::set_component(const std::string& id, HealthState s, std::string detail) {
  std::lock_guard lk(mu_);
  components_[id] = Entry{s, std::move(detail)};
}

void HealthRegistry::set_router(const std::string& name, HealthState s, std::string detail) {
  std::lock_guard lk(mu_);
  routers_[name] = Entry{s, std::move(detail)};
}

void HealthRegistry::remove_component(const std::string& id) {
  std::lock_guard lk(mu_);
  components_.erase(id);
}

HealthState HealthRegistry::overall() const {
  std::lock_guard lk(mu_);
  HealthState worst = HealthState::healthy;
  for (const auto& [k, e] : components_)
    if (static_cast<int>(e.state) > static_cast<int>(worst)) worst = e.state;
  for (const auto& [k, e] : routers_)
    if (e.state != HealthState::healthy && worst == HealthState::healthy) worst = HealthState::degraded;
  return worst;
}

std::string HealthRegistry::to_json() const {
  auto status = overall();
  std::lock_guard lk(mu_);
  nlohmann::json j;
  j["status"] = to_string(status);
  auto render = [](const std::map<std::string, Entry>& m) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, e] : m) {
      nlohmann::json c{{"status", to_string(e.state)}};
      if (!e.detail.empty()) c["detail"] = e.detail;
      o[k] = c;
    }
    return o;
  };
  j["components"] = render(components_);
  j["routers"] = render(routers_);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace routerpulse
