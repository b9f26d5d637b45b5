#include "engine/agent_config.hpp"

#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

namespace routerpulse::engine {

namespace fs = std::filesystem;

std::string ComponentDecl::path() const { return std::string(to_string(kind)) + "s." + id; }

const ComponentDecl* AgentConfig::find(PluginKind kind, const std::string& id) const {
  for (const auto& c : components)
    if (c.kind == kind && c.id == id) return &c;
  return nullptr;
}

std::string default_plugin_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  return (exe.parent_path() / "plugins").string();
}

namespace {

const std::set<std::string> kTopLevel{"agent", "routers", "inputs", "processors", "outputs", "pipelines"};

bool valid_id(const std::string& id) {
  static const std::regex re("^[a-z][a-z0-9_]*(/[A-Za-z0-9_.-]+)?$");
  return std::regex_match(id, re);
}

template <class F>
void guarded(std::vector<ConfigError>& errors, F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    errors.push_back(e);
  }
}

}  // namespace

bool parse_agent_config(const YAML::Node& root, std::shared_ptr<const std::string> file, const std::string& dir,
                        AgentConfig& out, std::vector<ConfigError>& errors, std::vector<std::string>& warnings) {
  size_t errors_before = errors.size();
  out.file = file;
  out.dir = dir;
  out.root = root;

  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (!kTopLevel.count(k))
      errors.push_back(config_error_at(*file, it->first, k,
                                       "unknown section (expected agent, routers, inputs, processors, outputs, "
                                       "pipelines)"));
  }

  out.agent.plugin_dir = default_plugin_dir();
  // agent:
  guarded(errors, [&] {
    Options a(root["agent"], "agent", file);
    auto& s = out.agent;
    s.interval = a.get_duration("interval", s.interval, Duration(1));
    auto pd = a.get_optional_string("plugin_dir");
    if (pd) {
      fs::path p(*pd);
      s.plugin_dir = (p.is_relative() ? fs::path(dir) / p : p).lexically_normal().string();
    }
    s.threads = static_cast<int>(a.get_int("threads", s.threads, 1, 64));
    s.shutdown_timeout = a.get_duration("shutdown_timeout", s.shutdown_timeout);
    s.log_level = a.get_enum("log_level", s.log_level, {"trace", "debug", "info", "warn", "error", "off"});
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    s.hostname = a.get_string("hostname", host);
    s.add_host_tag = a.get_bool("add_host_tag", false);
    s.batch_size = a.get_int("batch_size", s.batch_size, 1, 1000000);
    s.buffer_limit = a.get_int("buffer_limit", s.buffer_limit, 1, 100000000);
    s.flush_interval = a.get_duration("flush_interval", s.flush_interval, Duration(1));
    s.pipeline_limit = a.get_int("pipeline_limit", s.pipeline_limit, 1, 100000000);
    s.http = a.raw("http");
    if (s.http.IsDefined() && !s.http.IsMap())
      throw a.error("http", "expected a map like {listen: 127.0.0.1:9273}, got " + describe_node(s.http));
    a.check_unknown();
  });

  if (YAML::Node r = root["routers"]; r.IsDefined()) out.routers.reset(r);
  if (out.routers.IsDefined() && !out.routers.IsNull() && !out.routers.IsMap())
    errors.push_back(config_error_at(*file, out.routers, "routers",
                                     "expected a map of router name → settings, got " + describe_node(out.routers)));

  // inputs / processors / outputs
  for (PluginKind kind : {PluginKind::input, PluginKind::processor, PluginKind::output}) {
    std::string section = std::string(to_string(kind)) + "s";
    YAML::Node n = root[section];
    if (!n.IsDefined() || n.IsNull()) continue;
    if (!n.IsMap()) {
      errors.push_back(
          config_error_at(*file, n, section, "expected a map of component id → options, got " + describe_node(n)));
      continue;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string id = it->first.Scalar();
      if (!valid_id(id)) {
        errors.push_back(config_error_at(*file, it->first, section + "." + id,
                                         "invalid component id; expected `plugin` or `plugin/instance` "
                                         "(lower-case plugin name)"));
        continue;
      }
      ComponentDecl d{kind, id, id.substr(0, id.find('/')), it->second, it->first};
      if (d.node.IsDefined() && !d.node.IsNull() && !d.node.IsMap()) {
        errors.push_back(config_error_at(*file, d.node, d.path(),
                                         "expected a map of options (or {}), got " + describe_node(d.node)));
        continue;
      }
      out.components.push_back(std::move(d));
    }
  }

  // pipelines
  YAML::Node pn = root["pipelines"];
  if (!pn.IsDefined() || pn.IsNull() || (pn.IsMap() && pn.size() == 0)) {
    errors.push_back(config_error_at(*file, pn.IsDefined() ? pn : root, "pipelines",
                                     "no pipelines defined; add at least one with inputs and outputs"));
  } else if (!pn.IsMap()) {
    errors.push_back(config_error_at(*file, pn, "pipelines",
                                     "expected a map of pipeline name → {inputs, "
                                     "processors, outputs}, got " +
                                         describe_node(pn)));
  } else {
    std::set<std::pair<PluginKind, std::string>> used;
    for (auto it = pn.begin(); it != pn.end(); ++it) {
      std::string name = it->first.Scalar();
      guarded(errors, [&] {
        Options p(it->second, "pipelines." + name, file);
        PipelineDecl pd;
        pd.name = name;
        pd.node = it->second;
        pd.inputs = p.get_string_list("inputs", {});
        pd.processors = p.get_string_list("processors", {});
        pd.outputs = p.get_string_list("outputs", {});
        p.check_unknown();
        if (pd.inputs.empty()) throw p.error("inputs", "a pipeline needs at least one input");
        if (pd.outputs.empty()) throw p.error("outputs", "a pipeline needs at least one output");
        auto check_refs = [&](const std::vector<std::string>& ids, PluginKind kind, const char* key) {
          YAML::Node list = it->second[key];
          for (size_t i = 0; i < ids.size(); ++i) {
            if (!out.find(kind, ids[i])) {
              YAML::Node at = list.IsSequence() ? list[i] : list;
              errors.push_back(config_error_at(*file, at, "pipelines." + name + "." + key,
                                               std::string(to_string(kind)) + " \"" + ids[i] +
                                                   "\" is not declared under " + to_string(kind) + "s:"));
            }
            used.insert({kind, ids[i]});
          }
        };
        check_refs(pd.inputs, PluginKind::input, "inputs");
        check_refs(pd.processors, PluginKind::processor, "processors");
        check_refs(pd.outputs, PluginKind::output, "outputs");
        out.pipelines.push_back(std::move(pd));
      });
    }
    for (const auto& c : out.components) {
      if (!used.count({c.kind, c.id})) {
        auto m = c.key_node.Mark();
        warnings.push_back(*file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " +
                           c.path() + ": declared but used by no pipeline; it will not run");
      }
    }
  }
  return errors.size() == errors_before;
}

}  // namespace routerpulse::engine
