// Test support: run real plugins (loaded from build/plugins) on a real
// io_context, start real helper processes, pick free loopback ports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "engine/plugin_loader.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::test {

/// Build and source directories (from CTest's environment, or compiled-in defaults).
std::string build_dir();
std::string source_dir();
std::string plugin_dir();

/// A loopback TCP port that was free a moment ago.
int free_port();

/// A fresh empty directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A child process (fork/exec), SIGTERM then SIGKILL on destruction.
class Process {
 public:
  /// argv[0] is looked up in PATH. stdout/stderr go to `log_file` (or inherit when empty).
  Process(std::vector<std::string> argv, const std::string& log_file = {}, std::vector<std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int pid() const { return pid_; }
  bool running();
  /// Sends a signal.
  void signal(int sig);
  /// Waits for exit up to `timeout`; returns the exit status (or -signal), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// SIGTERM, wait 5 s, SIGKILL.
  void stop();

 private:
  int pid_ = -1;
  std::optional<int> status_;
};

/// The whole file as a string (empty when it cannot be read).
std::string read_file(const std::string& path);
/// Replaces the file's content with `text`.
void write_file(const std::string& path, const std::string& text);

/// Runs a command through /bin/sh, returns its exit status and fills `out` with stdout.
int run_command(const std::string& cmd, std::string* out = nullptr);

/// Polls `pred` every 10 ms until it is true or `timeout` elapses.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// Advances `clock` by `step` at every poll until `pred` holds (bounded by
/// `timeout` of real time): drives timers forward until their effect shows.
bool advance_until(ManualClock& clock, Duration step, const std::function<bool()>& pred,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

/// Hosts plugins the way the agent does (the engine's own component factory):
/// one io_context run by a thread, one scoped context and strand per
/// component, shared registries, captured emits, and a clock — the system
/// clock unless a test sets `clock` (e.g. to a ManualClock) before create().
class Harness {
 public:
  Harness();
  ~Harness();

  /// Declared first, destroyed last: handlers still queued in `io` may hold
  /// plugin code and objects, so `io` must be gone before plugins unload.
  PluginLoader loader;
  boost::asio::io_context io;
  SelfMetrics stats;
  HealthRegistry health;

  /// Builds a component of `kind`/`name` from YAML option text, validated
  /// exactly as the agent does (declared options, engine options, the
  /// plugin's validate). The id is `id` or `name`; processors get pipeline
  /// `pipeline`. Emitted metrics (inputs and processors) are appended to
  /// emitted(). Throws ConfigError / PluginLoadError like the agent would.
  std::shared_ptr<Component> create(PluginKind kind, const std::string& name, const std::string& yaml,
                                    const std::string& id = {}, const std::string& pipeline = "main");

  /// Validates like `routerpulse check` (nothing constructed). Throws ConfigError.
  void validate(PluginKind kind, const std::string& name, const std::string& yaml);

  /// The clock given to components created from now on.
  Clock* clock = &system_clock();
  /// The collection interval given to inputs created from now on.
  Duration interval = std::chrono::seconds(10);

  /// The context of the last created component (valid while the harness lives).
  PluginContext& last_context() { return *contexts_.back(); }

  /// Runs `fn` on the component's strand and waits for it to finish.
  void run_on(PluginContext& ctx, const std::function<void()>& fn);

  /// Calls start() on the component's strand.
  void start(Component& c, PluginContext& ctx);
  /// Calls stop() on the strand and waits for its done callback (5 s max).
  void stop(Component& c, PluginContext& ctx);

  /// Input: gather once and wait for done (timeout → false).
  bool gather(Input& in, PluginContext& ctx, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Processor: process one batch and wait for the result (nullopt on timeout).
  std::optional<MetricBatch> process(Processor& p, PluginContext& ctx, MetricBatch batch,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Output: write one batch and wait for the result (nullopt on timeout).
  std::optional<WriteResult> write(Output& o, PluginContext& ctx, const MetricBatch& batch,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Everything inputs emitted so far (copy, thread-safe).
  MetricBatch emitted();
  size_t emitted_count();
  void clear_emitted();

  /// Where the config file would live; relative paths resolve here.
  std::string config_dir;
  /// The HTTP routes given to components (nullptr unless a test sets one).
  HttpRoutes* http = nullptr;
  routeros::RouterRegistry* routers = nullptr;

 private:
  std::vector<std::shared_ptr<PluginContext>> contexts_;
  std::mutex mu_;
  MetricBatch emitted_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

/// Parses YAML text for tests; throws like the config loader.
YAML::Node yaml(const std::string& text);

}  // namespace routerpulse::test
