#include "engine/graph.hpp"

#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "routerpulse/health.hpp"

namespace routerpulse::engine {

namespace {

/// Calls `done` once `n` arrivals happened (n == 0 → at once).
std::function<void()> barrier(size_t n, std::function<void()> done) {
  if (n == 0) {
    done();
    return [] {};
  }
  auto left = std::make_shared<std::atomic<size_t>>(n);
  auto d = std::make_shared<std::function<void()>>(std::move(done));
  return [left, d] {
    if (left->fetch_sub(1) == 1) (*d)();
  };
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
  auto l = spdlog::default_logger()->clone(name);
  return l;
}

}  // namespace

Graph::~Graph() = default;

std::unique_ptr<PluginContext> Graph::make_context(const ComponentDecl& d, const AgentConfig& cfg) {
  return std::unique_ptr<PluginContext>(new PluginContext{d.id, d.kind, svc_.io, boost::asio::make_strand(svc_.io),
                                                          component_logger(d.id), svc_.stats, svc_.health,
                                                          svc_.http, svc_.routers, cfg.dir, cfg.agent.interval,
                                                          {}});
}

std::unique_ptr<Component> Graph::create(const ComponentDecl& d, const AgentConfig& cfg, PluginContext& ctx,
                                         std::function<void(const Options&)> engine_options,
                                         std::vector<ConfigError>& errors) {
  try {
    const PluginLoader::Loaded* l = nullptr;
    try {
      l = &svc_.loader.get(d.kind, d.plugin);
    } catch (const PluginLoadError& e) {
      throw config_error_at(*cfg.file, d.key_node, d.path(), e.what());
    }
    Options opts(d.node, d.path(), cfg.file);
    if (engine_options) engine_options(opts);
    auto c = l->descriptor->create(opts, ctx);
    if (!c) throw config_error_at(*cfg.file, d.key_node, d.path(), "plugin returned no component");
    opts.check_unknown();
    return c;
  } catch (const ConfigError& e) {
    for (const auto& prev : errors)
      if (std::string(prev.what()) == e.what()) return nullptr;  // same processor in two pipelines
    errors.push_back(e);
  } catch (const std::exception& e) {
    errors.push_back(config_error_at(*cfg.file, d.key_node, d.path(), std::string("cannot create: ") + e.what()));
  }
  return nullptr;
}

bool Graph::build(const AgentConfig& cfg, std::vector<ConfigError>& errors) {
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
    if (d.kind == PluginKind::output && used_outputs.count(d.id)) {
      auto ctx = make_context(d, cfg);
      OutputSettings s;
      auto comp = create(d, cfg, *ctx, [&](const Options& o) { s = read_output_settings(o, out_defaults); }, errors);
      if (!comp) continue;
      auto* out = dynamic_cast<Output*>(comp.get());
      if (!out) {
        errors.push_back(config_error_at(*cfg.file, d.key_node, d.path(), "plugin is not an output"));
        continue;
      }
      comp.release();
      outputs_[d.id] = std::make_shared<OutputRunner>(std::unique_ptr<Output>(out), std::move(ctx), s);
    }
  }

  for (const auto& pd : cfg.pipelines) {
    auto p = std::make_shared<Pipeline>(pd.name, svc_.stats);
    for (const auto& pid : pd.processors) {
      const auto* d = cfg.find(PluginKind::processor, pid);
      if (!d) continue;
      auto ctx = make_context(*d, cfg);
      auto comp = create(*d, cfg, *ctx, nullptr, errors);
      if (!comp) continue;
      auto* proc = dynamic_cast<Processor*>(comp.get());
      if (!proc) {
        errors.push_back(config_error_at(*cfg.file, d->key_node, d->path(), "plugin is not a processor"));
        continue;
      }
      comp.release();
      ProcessorStage st;
      st.processor.reset(proc);
      Labels l{{"processor", pid}};
      st.processed = &svc_.stats.counter("processor", "metrics_processed_total", "Metrics into a processor", l);
      st.errors = &svc_.stats.counter("processor", "errors_total", "Batches a processor failed on", l);
      st.ctx = std::move(ctx);
      p->stages.push_back(std::move(st));
    }
    for (const auto& oid : pd.outputs)
      if (auto it = outputs_.find(oid); it != outputs_.end()) p->outputs.push_back(it->second);
    for (const auto& iid : pd.inputs) input_pipelines_[iid].push_back(pd.name);
    pipelines_.push_back(std::move(p));
  }

  for (const auto& d : cfg.components) {
    if (d.kind != PluginKind::input || !used_inputs.count(d.id)) continue;
    auto ctx = make_context(d, cfg);
    Labels extra;
    auto comp = create(d, cfg, *ctx,
                       [&](const Options& o) {
                         ctx->interval = o.get_duration("interval", cfg.agent.interval);
                         if (ctx->interval <= Duration::zero()) throw o.error("interval", "must be greater than 0");
                         extra = o.get_string_map("tags");
                         if (cfg.agent.add_host_tag) extra.emplace_back("host", cfg.agent.hostname);
                       },
                       errors);
    if (!comp) continue;
    auto* in = dynamic_cast<Input*>(comp.get());
    if (!in) {
      errors.push_back(config_error_at(*cfg.file, d.key_node, d.path(), "plugin is not an input"));
      continue;
    }
    comp.release();
    auto runner = std::make_shared<InputRunner>(std::unique_ptr<Input>(in), std::move(ctx), std::move(extra));
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
  for (auto& p : pipelines_)
    for (auto& st : p->stages) {
      auto* proc = st.processor.get();
      auto* ctx = st.ctx.get();
      boost::asio::post(ctx->strand, [proc, ctx] {
        try {
          proc->start();
        } catch (const std::exception& e) {
          ctx->log->error("start failed: {}", e.what());
        }
      });
    }
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
  size_t n = outputs_.size();
  for (auto& p : pipelines_) n += p->stages.size();
  auto b = barrier(n, std::move(done));
  for (auto& p : pipelines_)
    for (auto& st : p->stages) {
      auto* proc = st.processor.get();
      boost::asio::post(st.ctx->strand, [proc, b] { proc->stop([b] { b(); }); });
    }
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
