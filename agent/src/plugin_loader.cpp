#include "engine/plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>

namespace routerpulse {

namespace fs = std::filesystem;

PluginLoader::PluginLoader(std::string plugin_dir) : dir_(std::move(plugin_dir)) {}

PluginLoader::~PluginLoader() {
  for (void* h : handles_) dlclose(h);
}

const PluginLoader::Loaded& PluginLoader::load_file(const std::string& path) {
  if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    throw PluginLoadError("cannot load plugin " + path + ": " + (e ? e : "unknown dlopen error"));
  }
  using EntryFn = const PluginDescriptor* (*)();
  auto fn = reinterpret_cast<EntryFn>(dlsym(h, ROUTERPULSE_PLUGIN_SYMBOL));
  if (!fn) {
    dlclose(h);
    throw PluginLoadError("not a routerpulse plugin: " + path + " does not export " ROUTERPULSE_PLUGIN_SYMBOL);
  }
  const PluginDescriptor* d = fn();
  if (!d) {
    dlclose(h);
    throw PluginLoadError("plugin " + path + ": " ROUTERPULSE_PLUGIN_SYMBOL " returned no descriptor");
  }
  // abi_version is the first field of every descriptor version: read it before
  // trusting anything else in the struct.
  if (d->abi_version != ROUTERPULSE_PLUGIN_ABI) {
    uint32_t theirs = d->abi_version;
    dlclose(h);
    throw PluginLoadError("plugin ABI mismatch: " + path + " was built for ABI " + std::to_string(theirs) +
                          ", this agent uses ABI " + std::to_string(ROUTERPULSE_PLUGIN_ABI) +
                          "; rebuild the plugin against this agent's SDK");
  }
  if (!d->name || !d->create) {
    dlclose(h);
    throw PluginLoadError("plugin " + path + ": descriptor has no name or factory");
  }
  handles_.push_back(h);
  return by_path_.emplace(path, Loaded{path, d}).first->second;
}

const PluginLoader::Loaded& PluginLoader::get(PluginKind kind, const std::string& name) {
  auto file = fs::path(dir_) / ("librp_" + std::string(to_string(kind)) + "_" + name + ".so");
  if (!fs::exists(file)) {
    std::string have;
    for (const auto& n : available(kind)) have += (have.empty() ? "" : ", ") + n;
    throw PluginLoadError("unknown " + std::string(to_string(kind)) + " plugin \"" + name + "\" (no " + file.string() +
                          "; available: " + (have.empty() ? "none" : have) + ")");
  }
  const auto& l = load_file(file.string());
  if (l.descriptor->kind != kind || name != l.descriptor->name)
    throw PluginLoadError("plugin " + file.string() + " registers itself as " + to_string(l.descriptor->kind) + " \"" +
                          l.descriptor->name + "\", expected " + to_string(kind) + " \"" + name + "\"");
  return l;
}

std::vector<PluginLoader::Loaded> PluginLoader::load_all(std::vector<std::string>* errors) {
  std::vector<Loaded> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    auto fn = e.path().filename().string();
    if (fn.rfind("librp_", 0) == 0 && e.path().extension() == ".so") files.push_back(e.path());
  }
  if (ec && errors) errors->push_back("cannot read plugin_dir " + dir_ + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      out.push_back(load_file(f.string()));
    } catch (const PluginLoadError& e) {
      if (errors) errors->push_back(e.what());
    }
  }
  return out;
}

std::vector<std::string> PluginLoader::available(PluginKind kind) const {
  std::vector<std::string> out;
  std::string prefix = "librp_" + std::string(to_string(kind)) + "_";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    auto fn = e.path().filename().string();
    if (fn.rfind(prefix, 0) == 0 && e.path().extension() == ".so")
      out.push_back(fn.substr(prefix.size(), fn.size() - prefix.size() - 3));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace routerpulse
