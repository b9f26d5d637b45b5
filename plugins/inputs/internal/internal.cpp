// Input `internal`: the agent's own self-metrics (the same registry served on
// /metrics) as metrics named internal_<subsystem>, like Telegraf's inputs.internal.
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse {
namespace {

class InternalInput final : public Input {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "subsystems",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "only these subsystems (e.g. output, redis_stream); empty means all",
       .example = "[input, output]"},
  };

  InternalInput(const Options& o, PluginContext& ctx) : ctx_(ctx) {
    for (const auto& s : o.strings("subsystems")) include_.push_back("internal_" + s);
  }

  void gather(std::function<void()> done) override {
    MetricBatch batch = ctx_.self_metrics.registry().snapshot(ctx_.clock.now_ns());
    if (!include_.empty()) {
      std::erase_if(batch, [this](const Metric& m) {
        for (const auto& s : include_)
          if (m.name() == s) return false;
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
