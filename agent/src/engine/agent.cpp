#include "engine/agent.hpp"

#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "engine/graph.hpp"
#include "engine/services.hpp"
#include "routerpulse/health.hpp"

namespace routerpulse::engine {

namespace fs = std::filesystem;

bool load_agent_config(const std::string& path, AgentConfig& cfg, std::vector<ConfigError>& errors,
                       std::vector<std::string>& warnings) {
  YAML::Node root;
  try {
    root = load_config_file(path);
  } catch (const ConfigError& e) {
    errors.push_back(e);
    return false;
  }
  auto dir = fs::absolute(fs::path(path)).parent_path().string();
  return parse_agent_config(root, std::make_shared<const std::string>(path), dir, cfg, errors, warnings);
}

namespace {

void print_problems(std::ostream& err, const std::vector<ConfigError>& errors,
                    const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) err << "warning: " << w << "\n";
  for (const auto& e : errors) err << "error: " << e.what() << "\n";
}

/// The io_context plus the threads that run it.
struct Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::vector<std::thread> threads;
  void run(int n) {
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { io.run(); });
  }
  void join() {
    work.reset();
    for (auto& t : threads)
      if (t.joinable()) t.join();
    threads.clear();
  }
  ~Loop() {
    io.stop();
    join();
  }
};

template <class T>
T wait_for(std::future<T>& f, Duration d, T fallback) {
  if (f.wait_for(d) != std::future_status::ready) return fallback;
  return f.get();
}

}  // namespace

int check_command(const std::string& path, std::ostream& out, std::ostream& err) {
  AgentConfig cfg;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
  load_agent_config(path, cfg, errors, warnings);
  if (cfg.file) {
    PluginLoader loader(cfg.agent.plugin_dir);  // outlives the loop and every component
    Loop loop;
    SelfMetrics stats;
    HealthRegistry health;
    ProcessServices svc(loop.io, stats, health);
    std::vector<ConfigError> service_errors;
    svc.configure(cfg, service_errors);
    errors.insert(errors.end(), service_errors.begin(), service_errors.end());
    Graph g(svc.services(loader));
    g.build(cfg, errors, /*construct=*/false);  // validate only: no file, thread or connection
  }
  print_problems(err, errors, warnings);
  if (!errors.empty()) {
    err << path << ": " << errors.size() << " error(s)\n";
    return 2;
  }
  size_t n[3] = {0, 0, 0};
  for (const auto& c : cfg.components) n[static_cast<int>(c.kind) - 1]++;
  out << path << ": OK (" << n[0] << " inputs, " << n[1] << " processors, " << n[2] << " outputs, "
      << cfg.pipelines.size() << " pipelines)\n";
  return 0;
}

int test_command(const std::string& path, Duration wait, std::ostream& out, std::ostream& err) {
  AgentConfig cfg;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
  if (!load_agent_config(path, cfg, errors, warnings)) {
    print_problems(err, errors, warnings);
    return 2;
  }
  PluginLoader loader(cfg.agent.plugin_dir);  // outlives the loop and every component
  Loop loop;
  SelfMetrics stats;
  HealthRegistry health;
  ProcessServices svc(loop.io, stats, health);
  svc.configure(cfg, errors);
  auto graph = std::make_unique<Graph>(svc.services(loader));
  if (!errors.empty() || !graph->build(cfg, errors)) {
    print_problems(err, errors, warnings);
    return 2;
  }
  for (const auto& w : warnings) err << "warning: " << w << "\n";

  std::mutex mu;
  std::map<std::string, MetricBatch> gathered;
  for (auto& in : graph->inputs())
    in->set_sink([&mu, &gathered, id = in->id()](MetricBatch&& b) {
      std::lock_guard lk(mu);
      auto& v = gathered[id];
      for (auto& m : b) v.push_back(std::move(m));
    });
  loop.run(cfg.agent.threads);
  svc.start();
  graph->start(false);
  for (auto& in : graph->inputs()) {
    std::promise<void> p;
    auto f = p.get_future();
    in->gather_once([&p] { p.set_value(); });
    if (f.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
      err << "warning: input " << in->id() << " did not finish gathering within 60s\n";
  }
  if (wait > Duration::zero()) std::this_thread::sleep_for(wait);

  std::string text;
  for (auto& p : graph->pipelines()) {
    for (auto& in : graph->inputs()) {
      bool feeds = false;
      for (auto& q : graph->pipelines_of(in->id())) feeds = feeds || q == p;
      if (!feeds) continue;
      MetricBatch batch;
      {
        std::lock_guard lk(mu);
        batch = gathered[in->id()];
      }
      std::promise<MetricBatch> done;
      auto f = done.get_future();
      p->submit_to(std::move(batch), [&done](MetricBatch b) { done.set_value(std::move(b)); });
      auto result = wait_for(f, std::chrono::seconds(30), MetricBatch{});
      for (const auto& m : result) append_line_protocol(text, m);
    }
  }
  out << text << std::flush;

  std::promise<void> stopped;
  auto sf = stopped.get_future();
  graph->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5),
                  [&](size_t) { svc.stop([&] { stopped.set_value(); }); });
  sf.wait_for(std::chrono::seconds(10));
  loop.io.stop();
  loop.join();
  graph.reset();
  return 0;
}

namespace {

/// The long-running agent: one graph at a time, swapped on SIGHUP.
class Runtime {
 public:
  explicit Runtime(std::string path) : path_(std::move(path)), signals_(loop_.io, SIGINT, SIGTERM, SIGHUP) {}

  int run(AgentConfig cfg) {
    cfg_ = std::move(cfg);
    std::vector<ConfigError> errors;
    services_ = std::make_unique<ProcessServices>(loop_.io, stats_, health_);
    services_->configure(cfg_, errors);
    loaders_.push_back(std::make_unique<PluginLoader>(cfg_.agent.plugin_dir));
    graph_ = std::make_unique<Graph>(services_->services(*loaders_.back()));
    if (!errors.empty() || !graph_->build(cfg_, errors)) {
      for (const auto& e : errors) spdlog::error("{}", e.what());
      return 2;
    }
    try {
      services_->start();
    } catch (const std::exception& e) {
      spdlog::error("cannot start: {}", e.what());
      return 1;
    }
    graph_->start();
    spdlog::info("routerpulse {} running: {} inputs, {} pipelines, {} outputs (config {})", ROUTERPULSE_VERSION,
                 graph_->inputs().size(), graph_->pipelines().size(), graph_->outputs().size(), path_);
    wait_signal();
    loop_.run(cfg_.agent.threads);
    for (auto& t : loop_.threads) t.join();
    loop_.threads.clear();
    graph_.reset();
    return exit_code_;
  }

 private:
  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        if (reloading_ || stopping_) {
          spdlog::warn("SIGHUP ignored: a reload or shutdown is already in progress");
        } else {
          reload();
        }
        wait_signal();
        return;
      }
      if (stopping_) {
        spdlog::warn("second signal: exiting without waiting for outputs");
        exit_code_ = 1;
        loop_.io.stop();
        return;
      }
      shutdown();
      wait_signal();
    });
  }

  void shutdown() {
    stopping_ = true;
    auto timeout = cfg_.agent.shutdown_timeout;
    spdlog::info("shutting down: flushing outputs (up to {})", format_duration(timeout));
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    // A hard stop a little after the deadline, in case a plugin never answers stop().
    hard_stop_ = std::make_unique<boost::asio::steady_timer>(loop_.io);
    hard_stop_->expires_at(deadline + std::chrono::seconds(2));
    hard_stop_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      spdlog::warn("shutdown did not complete in time; exiting");
      loop_.io.stop();
    });
    graph_->shutdown(deadline, [this](size_t undelivered) {
      if (undelivered) spdlog::warn("{} metrics were not delivered before shutdown_timeout", undelivered);
      services_->stop([this] {
        boost::asio::post(loop_.io, [this] {
          spdlog::info("stopped");
          hard_stop_->cancel();
          signals_.cancel();
          loop_.work.reset();
          loop_.io.stop();
        });
      });
    });
  }

  void reload() {
    spdlog::info("SIGHUP: reloading {}", path_);
    AgentConfig cfg;
    std::vector<ConfigError> errors;
    std::vector<std::string> warnings;
    load_agent_config(path_, cfg, errors, warnings);
    std::unique_ptr<ProcessServices> services;
    std::unique_ptr<Graph> next;
    if (errors.empty()) {
      services = std::make_unique<ProcessServices>(loop_.io, stats_, health_);
      services->configure(cfg, errors);
    }
    if (errors.empty()) {
      if (cfg.agent.plugin_dir != loaders_.back()->dir())
        loaders_.push_back(std::make_unique<PluginLoader>(cfg.agent.plugin_dir));
      next = std::make_unique<Graph>(services->services(*loaders_.back()));
      next->build(cfg, errors);
    }
    if (!errors.empty()) {
      for (const auto& e : errors) spdlog::error("reload: {}", e.what());
      spdlog::error("reload failed; the running configuration stays in place");
      return;
    }
    for (const auto& w : warnings) spdlog::warn("{}", w);
    reloading_ = true;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(cfg.agent.shutdown_timeout);
    auto* old_graph = graph_.release();
    auto* old_services = services_.release();
    auto* new_graph = next.release();
    auto* new_services = services.release();
    old_graph->detach(deadline, [this, old_graph, old_services, new_graph, new_services,
                                 cfg = std::move(cfg)](Graph::Buffers buffers) mutable {
      boost::asio::post(loop_.io, [this, old_graph, old_services, new_graph, new_services, cfg = std::move(cfg),
                                   buffers = std::move(buffers)]() mutable {
        size_t carried = 0;
        for (const auto& [id, m] : buffers) carried += m.size();
        // Old services (HTTP listener, router sessions) go first so the new ones can bind.
        old_services->stop([this, old_graph, old_services, new_graph, new_services, cfg = std::move(cfg),
                            buffers = std::move(buffers), carried]() mutable {
          boost::asio::post(loop_.io, [=, this, cfg = std::move(cfg), buffers = std::move(buffers)]() mutable {
            delete old_graph;
            delete old_services;
            graph_.reset(new_graph);
            services_.reset(new_services);
            cfg_ = std::move(cfg);
            size_t orphaned = graph_->seed(std::move(buffers));
            if (orphaned)
              spdlog::warn("reload: {} buffered metrics belonged to outputs that no longer exist; dropped", orphaned);
            try {
              services_->start();
            } catch (const std::exception& e) {
              spdlog::error("reload: cannot start services: {}", e.what());
            }
            graph_->start();
            reloading_ = false;
            spdlog::info("reload complete: {} buffered metrics carried over", carried - orphaned);
          });
        });
      });
    });
  }

  std::string path_;
  SelfMetrics stats_;  // outlives every graph: counters continue across reloads
  HealthRegistry health_;
  // Plugin code must stay mapped until the io_context (and any handler still
  // queued in it that came from a plugin) is gone: loaders before the loop.
  std::vector<std::unique_ptr<PluginLoader>> loaders_;
  Loop loop_;
  boost::asio::signal_set signals_;
  AgentConfig cfg_;
  std::unique_ptr<ProcessServices> services_;
  std::unique_ptr<Graph> graph_;
  std::unique_ptr<boost::asio::steady_timer> hard_stop_;
  bool stopping_ = false;
  bool reloading_ = false;
  int exit_code_ = 0;
};

}  // namespace

int run_command(const std::string& path, bool log_level_from_cli) {
  AgentConfig cfg;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
  if (!load_agent_config(path, cfg, errors, warnings)) {
    print_problems(std::cerr, errors, warnings);
    return 2;
  }
  for (const auto& w : warnings) spdlog::warn("{}", w);
  if (!log_level_from_cli) spdlog::set_level(spdlog::level::from_str(cfg.agent.log_level));
  Runtime rt(path);
  return rt.run(std::move(cfg));
}

int plugins_command(const std::string& dir, std::ostream& out, std::ostream& err) {
  PluginLoader loader(dir);
  std::vector<std::string> errors;
  auto all = loader.load_all(&errors);
  out << "plugins in " << dir << ":\n";
  for (const auto& l : all) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-10s %-18s %s\n", to_string(l.descriptor->kind), l.descriptor->name,
                  l.descriptor->description);
    out << line;
  }
  for (const auto& e : errors) err << "error: " << e << "\n";
  return errors.empty() ? 0 : 1;
}

}  // namespace routerpulse::engine
