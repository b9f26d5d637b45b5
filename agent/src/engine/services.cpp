#include "engine/services.hpp"

namespace routerpulse::engine {

struct ProcessServices::Impl {};

ProcessServices::ProcessServices(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health)
    : io_(io), stats_(stats), health_(health), impl_(std::make_unique<Impl>()) {}

ProcessServices::~ProcessServices() = default;

void ProcessServices::configure(const AgentConfig& cfg, std::vector<ConfigError>& errors) {
  (void)cfg;
  (void)errors;
}

void ProcessServices::start() {}

void ProcessServices::stop(std::function<void()> done) { done(); }

Services ProcessServices::services(PluginLoader& loader) {
  return Services{io_, stats_, health_, loader, nullptr, nullptr};
}

}  // namespace routerpulse::engine
