// routerpulse — the router registry: one shared Session per router of agent.yaml.
//
// The `routers:` section maps a router name to its connection options:
//
//   routers:
//     pop1-core:
//       host: 10.1.0.1            # required
//       port: 8729                # default 8728, or 8729 when tls
//       tls: true                 # default false
//       tls_verify: true          # default true; false also allows RouterOS'
//                                 # anonymous-DH api-ssl when no certificate is set
//       ca_file: /etc/ssl/pop1.pem  # default: system CA paths
//       tls_server_name: pop1.example.net  # default: host
//       username: monitor         # required
//       password: ${env:POP1_PASSWORD}     # default ""
//       login: auto               # auto | plain | legacy
//       timeout: 10s              # per-command timeout
//       connect_timeout: 10s      # TCP + TLS + login
//       keepalive: 10s            # silence before a keepalive probe; 0 = off
//       dead_after: 30s           # no byte for this long while a probe is out: reconnect
//       reconnect_initial: 1s
//       reconnect_max: 60s
//       max_pending: 10000        # queued + in-flight commands
//       max_word_bytes: 1048576   # reply word cap
//       max_sentence_bytes: 8388608  # reply sentence cap
//
// Every input that names a router shares its one Session (commands are
// multiplexed by `.tag`). Inputs may issue commands before start() or while
// the router is down: they are queued (see session.hpp).
//
// Threading: configure()/add()/start()/stop() are called by the engine from
// one thread; find()/names() are thread-safe (one mutex).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>
#include <yaml-cpp/yaml.h>

#include "routerpulse/config.hpp"
#include "routerpulse/routeros/session.hpp"

namespace routerpulse {
class SelfMetrics;
class HealthRegistry;
}  // namespace routerpulse

namespace routerpulse::routeros {

/// Reads one router's options (see the file comment) from `opts`, whose path
/// is e.g. `routers.pop1-core`. Throws ConfigError naming file:line:col and the
/// option path for a missing host/username, a port outside 1–65535, an
/// unknown `login` method, a bad duration, reconnect_initial > reconnect_max,
/// zero timeouts, or caps below 1 KiB; unknown options are reported by the
/// caller through opts.check_unknown().
RouterConfig parse_router_config(const Options& opts, const std::string& name);

class RouterRegistry {
 public:
  /// Sessions take their time and timers from `clock` (must outlive the registry).
  RouterRegistry(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health,
                 std::shared_ptr<spdlog::logger> log, Clock& clock = system_clock());
  /// Stops sessions that are still running (without waiting). Destroy the
  /// registry before the io_context it was given (sessions post onto it).
  ~RouterRegistry();
  RouterRegistry(const RouterRegistry&) = delete;
  RouterRegistry& operator=(const RouterRegistry&) = delete;

  /// Parses the `routers:` section (map name → options, or null/undefined for
  /// none) and creates one Session per router (not connected until start()).
  /// `file` is the config file name for errors. Throws ConfigError with
  /// file:line:col and option path (e.g. `routers.pop1-core.port`) for any
  /// invalid or unknown option, or when the section is not a map. On error
  /// nothing is added. May be called once, before start().
  void configure(const YAML::Node& routers_section, std::shared_ptr<const std::string> file);

  /// Adds a router programmatically (tools, tests). Throws
  /// std::invalid_argument for a duplicate or empty name.
  std::shared_ptr<Session> add(RouterConfig cfg);

  /// Connects every router (asynchronously). Commands issued before the
  /// router is up are queued, not failed.
  void start();
  /// Stops every session; `done` is called exactly once, after all are closed
  /// (immediately when there are none), from one of the session strands.
  void stop(std::function<void()> done);

  /// The session of `name`, or nullptr if unknown.
  std::shared_ptr<Session> find(const std::string& name) const;
  /// All router names, sorted.
  std::vector<std::string> names() const;

 private:
  boost::asio::io_context& io_;
  SelfMetrics& stats_;
  HealthRegistry& health_;
  std::shared_ptr<spdlog::logger> log_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  bool started_ = false;
};

}  // namespace routerpulse::routeros
