// A plugin built against a different ABI version (ROUTERPULSE_PLUGIN_ABI=999
// from CMake): the loader must refuse it, naming both versions and the file.
#include <array>

#include "routerpulse/plugin.hpp"

namespace {
class Nothing final : public routerpulse::Output {
 public:
  static constexpr std::array<routerpulse::OptionSpec, 0> options{};
  Nothing(const routerpulse::Options&, routerpulse::PluginContext&) {}
  void write(const routerpulse::BatchView&, std::function<void(routerpulse::WriteResult)> done) override {
    done(routerpulse::WriteResult::success());
  }
};
}  // namespace

ROUTERPULSE_PLUGIN(output, wrongabi, "test plugin with a mismatched ABI", Nothing)
