// routerpulse — finds and loads plugin shared objects (dlopen).
//
// Scans `agent.plugin_dir` for `librp_<kind>_<name>.so`, opens each with
// dlopen(RTLD_NOW | RTLD_LOCAL), looks up `routerpulse_plugin_v1`
// (ROUTERPULSE_PLUGIN_SYMBOL) and checks the descriptor's ABI version against
// ROUTERPULSE_PLUGIN_ABI. Handles stay open for the loader's lifetime, so
// components must be destroyed before their loader.
// Threading: not thread-safe; used at start-up and on reload from one thread.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "routerpulse/plugin.hpp"

namespace routerpulse {

/// A plugin that could not be loaded. what() names the file and the reason,
/// e.g. "plugin ABI mismatch: ./plugins/librp_output_x.so was built for ABI 7,
/// this agent uses ABI 1".
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginLoader {
 public:
  struct Loaded {
    std::string path;
    const PluginDescriptor* descriptor = nullptr;
  };

  explicit PluginLoader(std::string plugin_dir);
  ~PluginLoader();
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  const std::string& dir() const noexcept { return dir_; }

  /// Loads one shared object by path. Throws PluginLoadError (dlopen failure,
  /// missing symbol, ABI mismatch, kind/name disagreeing with the file name).
  const Loaded& load_file(const std::string& path);

  /// Finds `librp_<kind>_<name>.so` in the plugin dir and loads it. Throws
  /// PluginLoadError when absent ("unknown plugin", listing what exists).
  const Loaded& get(PluginKind kind, const std::string& name);

  /// Loads every plugin in the directory; failures are returned, not thrown.
  std::vector<Loaded> load_all(std::vector<std::string>* errors = nullptr);

  /// Names of the plugin files present for `kind` (without loading them).
  std::vector<std::string> available(PluginKind kind) const;

 private:
  std::string dir_;
  std::map<std::string, Loaded> by_path_;
  std::vector<void*> handles_;
};

}  // namespace routerpulse
