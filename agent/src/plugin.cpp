#include "routerpulse/plugin.hpp"

#include <filesystem>

namespace routerpulse {

Component::~Component() = default;
Input::~Input() = default;
Processor::~Processor() = default;
Output::~Output() = default;

const char* to_string(PluginKind k) noexcept {
  switch (k) {
    case PluginKind::input: return "input";
    case PluginKind::processor: return "processor";
    case PluginKind::output: return "output";
  }
  return "unknown";
}

std::string PluginContext::resolve_path(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || config_dir.empty()) return path;
  return (std::filesystem::path(config_dir) / p).string();
}

}  // namespace routerpulse
