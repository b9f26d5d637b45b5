// Input `routeros_traffic`: live PPPoE customer traffic (monitor-traffic
// streams), PPPoE sessions, interface counters and router health from
// MikroTik RouterOS over the API. README.md documents options and metrics;
// the work is done by TrafficCore (traffic_input.hpp) and its parts.
#include "routerpulse/plugin.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {
namespace {

class RouterosTrafficInput final : public Input {
 public:
  RouterosTrafficInput(const Options& o, PluginContext& ctx) : core_(TrafficCore::create(o, ctx)) {}
  ~RouterosTrafficInput() override { core_->request_stop(); }

  void start() override { core_->start(); }
  void stop(std::function<void()> done) override {
    core_->stop();
    done();
  }
  void gather(std::function<void()> done) override { core_->gather(std::move(done)); }

 private:
  std::shared_ptr<TrafficCore> core_;
};

}  // namespace
}  // namespace routerpulse::routeros_traffic

ROUTERPULSE_PLUGIN(input, routeros_traffic,
                   "Live PPPoE customer traffic, PPPoE sessions, interface counters and health from RouterOS routers",
                   routerpulse::routeros_traffic::RouterosTrafficInput)
