#include "engine/component_factory.hpp"

#include <array>

#include <spdlog/spdlog.h>

namespace routerpulse::engine {

namespace {

constexpr OptionSpec kInputOptions[] = {
    {.name = "interval",
     .type = OptionType::duration,
     .doc = "collection interval (default: agent.interval)",
     .min = kPositive},
    {.name = "tags", .type = OptionType::string_map, .doc = "tags added to every metric this input emits"},
};

constexpr OptionSpec kOutputOptions[] = {
    {.name = "batch_size",
     .type = OptionType::integer,
     .doc = "metrics per write (default: agent.batch_size)",
     .min = 1,
     .max = 1000000},
    {.name = "buffer_limit",
     .type = OptionType::integer,
     .doc = "metrics buffered before the oldest are dropped (default: agent.buffer_limit)",
     .min = 1,
     .max = 1e8},
    {.name = "flush_interval",
     .type = OptionType::duration,
     .doc = "write a partial batch after this long (default: agent.flush_interval)",
     .min = kPositive},
    {.name = "timeout",
     .type = OptionType::duration,
     .default_value = "10s",
     .doc = "a write not answered within this is failed and retried",
     .min = kPositive},
    {.name = "retry_initial",
     .type = OptionType::duration,
     .default_value = "500ms",
     .doc = "first retry delay after a failed write (doubles, with jitter)",
     .min = kPositive},
    {.name = "retry_max",
     .type = OptionType::duration,
     .default_value = "30s",
     .doc = "longest retry delay",
     .min = kPositive},
    {.name = "namepass", .type = OptionType::string_list, .doc = "only metrics whose name matches a glob"},
    {.name = "namedrop", .type = OptionType::string_list, .doc = "drop metrics whose name matches a glob"},
};

constexpr std::array<OptionSpec, 0> kProcessorOptions{};

}  // namespace

OptionTable engine_options(PluginKind kind) {
  switch (kind) {
    case PluginKind::input: return kInputOptions;
    case PluginKind::output: return kOutputOptions;
    case PluginKind::processor: return kProcessorOptions;
  }
  return {};
}

Options component_options(const PluginDescriptor& d, YAML::Node node, std::string path,
                          std::shared_ptr<const std::string> file) {
  return Options(std::move(node), std::move(path), std::move(file), {d.options, engine_options(d.kind)});
}

void validate_component(const PluginDescriptor& d, const Options& options) {
  options.validate_declared();
  if (d.validate) d.validate(options);
}

std::string health_key(PluginKind kind, const std::string& id, const std::string& pipeline) {
  std::string key = std::string(to_string(kind)) + "s." + id;
  if (kind == PluginKind::processor && !pipeline.empty()) key += "@" + pipeline;
  return key;
}

std::shared_ptr<PluginContext> make_context(const ContextSpec& spec, const ContextServices& svc) {
  std::string plugin = spec.plugin.empty() ? spec.id.substr(0, spec.id.find('/')) : spec.plugin;
  Labels labels{{to_string(spec.kind), spec.id}};
  if (spec.kind == PluginKind::processor) labels.emplace_back("pipeline", spec.pipeline);
  auto log = spec.log ? spec.log : spdlog::default_logger()->clone(spec.id);
  return std::shared_ptr<PluginContext>(new PluginContext{
      .id = spec.id,
      .kind = spec.kind,
      .plugin = plugin,
      .pipeline = spec.pipeline,
      .io = svc.io,
      .strand = boost::asio::make_strand(svc.io),
      .log = std::move(log),
      .self_metrics = SelfMetricsScope(svc.self_metrics, plugin, std::move(labels)),
      .health = HealthScope(svc.health, health_key(spec.kind, spec.id, spec.pipeline)),
      .clock = svc.clock,
      .http = svc.http,
      .routers = svc.routers,
      .config_dir = spec.config_dir,
      .interval = spec.interval,
      .emit = {},
  });
}

std::shared_ptr<Component> construct_component(const PluginDescriptor& d, const Options& options,
                                               const std::shared_ptr<PluginContext>& ctx) {
  if (d.kind != ctx->kind)
    throw options.error(
        "", std::string("plugin \"") + d.name + "\" is " + to_string(d.kind) + ", not " + to_string(ctx->kind));
  std::shared_ptr<Component> c;
  try {
    c = d.create(options, *ctx);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw options.error("", std::string("cannot create: ") + e.what());
  }
  if (!c) throw options.error("", "plugin returned no component");
  ComponentHosting::keep_alive(*c, ctx);
  return c;
}

std::shared_ptr<Component> create_component(const PluginDescriptor& d, const Options& options,
                                            const std::shared_ptr<PluginContext>& ctx) {
  validate_component(d, options);
  return construct_component(d, options, ctx);
}

}  // namespace routerpulse::engine
