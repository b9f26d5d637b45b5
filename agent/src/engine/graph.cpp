#include "engine/graph.hpp"

#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "engine/callbacks.hpp"
#include "engine/component_factory.hpp"
#include "routerpulse/health.hpp"

namespace routerpulse::engine {

Graph::~Graph() = default;

std::shared_ptr<PluginContext> Graph::context_for(const ComponentDecl& d, const AgentConfig& cfg,
                                                  const std::string& pipeline, Duration interval) {
  if (!construct_) return nullptr;
  return make_context(ContextSpec{.kind = d.kind,
                                  .id = d.id,
                                  .plugin = d.plugin,
                                  .pipeline = pipeline,
                                  .config_dir = cfg.dir,
                                  .interval = interval,
                                  .log = {}},
                      ContextServices{svc_.io, svc_.stats, svc_.health, svc_.clock, svc_.http, svc_.routers});
}

std::shared_ptr<Component> Graph::create(const ComponentDecl& d, const AgentConfig& cfg,
                                         const std::shared_ptr<PluginContext>& ctx,
                                         const std::function<void(const Options&)>& engine_options,
                                         std::vector<ConfigError>& errors) {
  try {
    const PluginLoader::Loaded* l = nullptr;
    try {
      l = &svc_.loader.get(d.kind, d.plugin);
    } catch (const PluginLoadError& e) {
      throw config_error_at(*cfg.file, d.key_node, d.path(), e.what());
    }
    Options opts = component_options(*l->descriptor, d.node, d.path(), cfg.file);
    validate_component(*l->descriptor, opts);
    if (engine_options) engine_options(opts);
    if (!ctx) return nullptr;
    return construct_component(*l->descriptor, opts, ctx);  // validated above
  } catch (const ConfigError& e) {
    for (const auto& prev : errors)
      if (std::string(prev.what()) == e.what()) return nullptr;  // same processor in two pipelines
    errors.push_back(e);
  } catch (const std::exception& e) {
    errors.push_back(config_error_at(*cfg.file, d.key_node, d.path(), std::string("cannot create: ") + e.what()));
  }
  return nullptr;
}

bool Graph::build(const AgentConfig& cfg, std::vector<ConfigError>& errors, bool construct) {
  construct_ = construct;
  size_t before = errors.size();
  std::set<std::string> used_inputs, used_outputs;
  for (const auto& p : cfg.pipelines) {
    used_inputs.insert(p.inputs.begin(), p.inputs.end());
    used_outputs.insert(p.outputs.begin(), p.outputs.end());
  }

  OutputSettings out_defaults;
  out_defaults.batch_size = cfg.agent.batch_size;
  out_defaults.buffer_limit = cfg.agent.buffer_limit;
  out_defaults.flush_interval = cfg.agent.flush_interval;

  for (const auto& d : cfg.components) {
    if (d.kind != PluginKind::output || !used_outputs.count(d.id)) continue;
    auto ctx = context_for(d, cfg, {}, cfg.agent.interval);
    OutputSettings s;
    auto comp = create(
        d, cfg, ctx, [&](const Options& o) { s = read_output_settings(o, out_defaults); }, errors);
    if (!comp) continue;
    outputs_[d.id] =
        std::make_shared<OutputRunner>(std::static_pointer_cast<Output>(std::move(comp)), std::move(ctx), s);
  }

  for (const auto& pd : cfg.pipelines) {
    auto p = std::make_shared<Pipeline>(pd.name, svc_.stats, static_cast<size_t>(cfg.agent.pipeline_limit));
    for (const auto& pid : pd.processors) {
      const auto* d = cfg.find(PluginKind::processor, pid);
      if (!d) continue;
      auto ctx = context_for(*d, cfg, pd.name, cfg.agent.interval);
      auto comp = create(*d, cfg, ctx, nullptr, errors);
      if (!comp) continue;
      p->add_stage(std::static_pointer_cast<Processor>(std::move(comp)), std::move(ctx));
    }
    for (const auto& oid : pd.outputs)
      if (auto it = outputs_.find(oid); it != outputs_.end()) p->outputs.push_back(it->second);
    for (const auto& iid : pd.inputs) input_pipelines_[iid].push_back(pd.name);
    pipelines_.push_back(std::move(p));
  }

  for (const auto& d : cfg.components) {
    if (d.kind != PluginKind::input || !used_inputs.count(d.id)) continue;
    Duration interval = cfg.agent.interval;
    Labels extra;
    auto ctx = context_for(d, cfg, {}, interval);
    auto read_engine = [&](const Options& o) {
      if (o.has("interval")) interval = o.duration("interval");
      if (ctx) ctx->interval = interval;
      extra = o.get_string_map("tags");
      if (cfg.agent.add_host_tag) extra.emplace_back("host", cfg.agent.hostname);
    };
    auto comp = create(d, cfg, ctx, read_engine, errors);
    if (!comp) continue;
    auto runner = std::make_shared<InputRunner>(std::static_pointer_cast<Input>(std::move(comp)), std::move(ctx),
                                                std::move(extra));
    runner->connect(pipelines_of(d.id));
    inputs_.push_back(std::move(runner));
  }
  return errors.size() == before;
}

std::vector<std::shared_ptr<Pipeline>> Graph::pipelines_of(const std::string& input_id) const {
  std::vector<std::shared_ptr<Pipeline>> out;
  auto it = input_pipelines_.find(input_id);
  if (it == input_pipelines_.end()) return out;
  for (const auto& name : it->second)
    for (const auto& p : pipelines_)
      if (p->name() == name) out.push_back(p);
  return out;
}

void Graph::start(bool schedule) {
  for (auto& [id, o] : outputs_) o->start();
  for (auto& p : pipelines_) p->start();
  for (auto& in : inputs_) in->start(schedule);
}

namespace {
// Polls until every pipeline is idle or the deadline passes.
struct IdlePoller : std::enable_shared_from_this<IdlePoller> {
  IdlePoller(boost::asio::io_context& io, std::function<bool()> idle, std::chrono::steady_clock::time_point deadline,
             std::function<void()> done)
      : timer(io), idle(std::move(idle)), deadline(deadline), done(std::move(done)) {}
  void poll() {
    if (idle() || std::chrono::steady_clock::now() >= deadline) {
      done();
      return;
    }
    timer.expires_after(std::chrono::milliseconds(5));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->poll(); });
  }
  boost::asio::steady_timer timer;
  std::function<bool()> idle;
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> done;
};
}  // namespace

void Graph::wait_pipelines_idle(std::chrono::steady_clock::time_point deadline, std::function<void()> done) {
  auto poller = std::make_shared<IdlePoller>(
      svc_.io,
      [this] {
        for (auto& p : pipelines_)
          if (p->in_flight() != 0) return false;
        return true;
      },
      deadline, std::move(done));
  boost::asio::post(svc_.io, [poller] { poller->poll(); });
}

void Graph::stop_rest(std::function<void()> done) {
  auto b = barrier(outputs_.size() + pipelines_.size(), std::move(done));
  for (auto& p : pipelines_) p->stop(b);
  for (auto& [id, o] : outputs_) o->stop(b);
}

void Graph::shutdown(std::chrono::steady_clock::time_point deadline, std::function<void(size_t)> done) {
  auto after_inputs = [this, deadline, done = std::move(done)]() mutable {
    wait_pipelines_idle(deadline, [this, deadline, done = std::move(done)]() mutable {
      auto undelivered = std::make_shared<std::atomic<size_t>>(0);
      auto b = barrier(outputs_.size(), [this, undelivered, done = std::move(done)]() mutable {
        stop_rest([undelivered, done = std::move(done)] { done(undelivered->load()); });
      });
      for (auto& [id, o] : outputs_)
        o->drain(deadline, [undelivered, b](size_t left) {
          *undelivered += left;
          b();
        });
    });
  };
  auto b = barrier(inputs_.size(), std::move(after_inputs));
  for (auto& in : inputs_) in->stop(b);
}

void Graph::detach(std::chrono::steady_clock::time_point deadline, std::function<void(Buffers)> done) {
  auto after_inputs = [this, deadline, done = std::move(done)]() mutable {
    wait_pipelines_idle(deadline, [this, done = std::move(done)]() mutable {
      auto buffers = std::make_shared<Buffers>();
      auto mu = std::make_shared<std::mutex>();
      auto b = barrier(outputs_.size(), [this, buffers, done = std::move(done)]() mutable {
        stop_rest([buffers, done = std::move(done)] { done(std::move(*buffers)); });
      });
      for (auto& [id, o] : outputs_)
        o->take([buffers, mu, b, id = id](std::deque<Metric> m) {
          {
            std::lock_guard lk(*mu);
            (*buffers)[id] = std::move(m);
          }
          b();
        });
    });
  };
  auto b = barrier(inputs_.size(), std::move(after_inputs));
  for (auto& in : inputs_) in->stop(b);
}

size_t Graph::seed(Buffers buffers) {
  size_t orphaned = 0;
  for (auto& [id, metrics] : buffers) {
    auto it = outputs_.find(id);
    if (it == outputs_.end()) {
      orphaned += metrics.size();
      continue;
    }
    if (!metrics.empty()) it->second->push_front(std::move(metrics));
  }
  return orphaned;
}

}  // namespace routerpulse::engine
