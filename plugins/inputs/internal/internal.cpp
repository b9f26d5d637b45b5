// Input `internal`: the agent's own self-metrics (the same registry served on
// /metrics) as metrics named internal_<subsystem>, like Telegraf's inputs.internal.
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse {
namespace {

class InternalInput final : public Input {
 public:
  InternalInput(const Options& o, PluginContext& ctx) : ctx_(ctx) {
    include_ = o.get_string_list("subsystems", {});
  }

  void gather(std::function<void()> done) override {
    MetricBatch batch = ctx_.stats.snapshot(now_ns());
    if (!include_.empty()) {
      std::erase_if(batch, [this](const Metric& m) {
        for (const auto& s : include_)
          if (m.name() == "internal_" + s) return false;
        return true;
      });
    }
    ctx_.emit(std::move(batch));
    done();
  }

 private:
  PluginContext& ctx_;
  std::vector<std::string> include_;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(input, internal, "The agent's own counters (gathered, written, dropped, errors) as metrics",
                   routerpulse::InternalInput)
