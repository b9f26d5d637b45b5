#include "engine/services.hpp"

#include <spdlog/spdlog.h>

#include "control/routers_api.hpp"
#include "control/ui.hpp"
#include "http/http_server.hpp"
#include "routerpulse/routeros/registry.hpp"

namespace routerpulse::engine {

struct ProcessServices::Impl {
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<routeros::RouterRegistry> routers;
  std::unique_ptr<control::RoutersApi> routers_api;  ///< /api/v1/routers… (docs/CONTROL_API.md)
  bool ui_added = false;                             ///< /ui/ routes (control/ui.hpp)
};

ProcessServices::ProcessServices(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health)
    : io_(io), stats_(stats), health_(health), impl_(std::make_unique<Impl>()) {}

ProcessServices::~ProcessServices() {
  if (impl_->http) impl_->http->stop();
}

void ProcessServices::configure(const AgentConfig& cfg, std::vector<ConfigError>& errors) {
  try {
    if (cfg.agent.http.IsDefined() && !cfg.agent.http.IsNull()) {
      Options o(cfg.agent.http, "agent.http", cfg.file);
      auto http = std::make_unique<HttpServer>(io_, stats_, health_, spdlog::default_logger()->clone("http"));
      http->configure(o);
      o.check_unknown();
      impl_->http = std::move(http);
    }
  } catch (const ConfigError& e) {
    errors.push_back(e);
  }
  try {
    auto routers =
        std::make_unique<routeros::RouterRegistry>(io_, stats_, health_, spdlog::default_logger()->clone("routeros"));
    if (cfg.routers.IsDefined() && !cfg.routers.IsNull()) routers->configure(cfg.routers, cfg.file);
    impl_->routers = std::move(routers);
  } catch (const ConfigError& e) {
    errors.push_back(e);
  }
}

void ProcessServices::start() {
  if (impl_->routers) impl_->routers->start();
  if (impl_->http && impl_->routers && !impl_->routers_api) {
    impl_->routers_api = std::make_unique<control::RoutersApi>(*impl_->http, *impl_->routers, system_clock());
    impl_->routers_api->start();
  }
  if (impl_->http && !impl_->ui_added) {
    control::add_ui_routes(*impl_->http);
    impl_->ui_added = true;
  }
  if (impl_->http) impl_->http->start();
}

void ProcessServices::stop(std::function<void()> done) {
  if (impl_->routers_api) impl_->routers_api->stop();
  if (impl_->http) impl_->http->stop();
  if (impl_->routers)
    impl_->routers->stop(std::move(done));
  else
    done();
}

Services ProcessServices::services(PluginLoader& loader) {
  return Services{io_, stats_, health_, loader, system_clock(), impl_->http.get(), impl_->routers.get()};
}

}  // namespace routerpulse::engine
