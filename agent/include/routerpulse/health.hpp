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

}  // namespace routerpulse
