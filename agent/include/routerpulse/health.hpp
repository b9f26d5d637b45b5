// routerpulse — component health, served as `/health` JSON.
//
// Components (inputs, processors, outputs) and routers report their state here;
// the HTTP server renders {status, components:{}, routers:{}} and answers
// HTTP 200 while overall() is healthy or degraded, 503 when unhealthy.
// Threading: all methods are thread-safe (one mutex); call from any strand.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace routerpulse {

enum class HealthState { healthy, degraded, unhealthy };

/// "healthy" | "degraded" | "unhealthy".
const char* to_string(HealthState s) noexcept;

class HealthRegistry {
 public:
  struct Entry {
    HealthState state = HealthState::healthy;
    std::string detail;  ///< human-readable reason, empty when healthy
  };

  /// Sets the state of a component id (`outputs.redis_stream`) or router name.
  void set_component(const std::string& id, HealthState s, std::string detail = {});
  void set_router(const std::string& name, HealthState s, std::string detail = {});
  void remove_component(const std::string& id);

  /// Worst state over everything: unhealthy if any component is unhealthy,
  /// degraded if anything is degraded or any router is not healthy.
  HealthState overall() const;

  /// `{"status":..,"components":{id:{"status":..,"detail":..}},"routers":{..}}`.
  std::string to_json() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Entry> components_;
  std::map<std::string, Entry> routers_;
};

/// Health reported by one component under the key the engine chose for it
/// (`inputs.<id>`, `outputs.<id>`, `processors.<id>@<pipeline>`).
/// Copyable; thread-safe like the registry.
class HealthScope {
 public:
  HealthScope(HealthRegistry& registry, std::string key) : registry_(&registry), key_(std::move(key)) {}
  /// Sets this component's state.
  void set(HealthState s, std::string detail = {}) const { registry_->set_component(key_, s, std::move(detail)); }
  /// Removes the entry (e.g. on stop).
  void clear() const { registry_->remove_component(key_); }
  /// A sub-entry `<key>.<part>` (e.g. a connection the component holds).
  HealthScope sub(const std::string& part) const { return {*registry_, key_ + "." + part}; }
  const std::string& key() const noexcept { return key_; }

 private:
  HealthRegistry* registry_;
  std::string key_;
};

}  // namespace routerpulse
