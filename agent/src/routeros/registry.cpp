// The router registry: `routers:` of agent.yaml → one Session per router.
#include "routerpulse/routeros/registry.hpp"

#include <atomic>
#include <stdexcept>

#include "routerpulse/health.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::routeros {

RouterConfig parse_router_config(const Options& o, const std::string& name) {
  RouterConfig c;
  c.name = name;
  c.host = o.require_string("host");
  if (c.host.empty()) throw o.error("host", "must not be empty");
  c.tls = o.get_bool("tls", false);
  c.port = static_cast<uint16_t>(o.get_int("port", c.tls ? 8729 : 8728, 1, 65535));
  c.tls_verify = o.get_bool("tls_verify", true);
  c.ca_file = o.get_string("ca_file", "");
  c.tls_server_name = o.get_string("tls_server_name", "");
  if (!c.tls && (o.has("ca_file") || o.has("tls_server_name")))
    throw o.error(o.has("ca_file") ? "ca_file" : "tls_server_name", "only valid with tls: true");
  c.username = o.require_string("username");
  if (c.username.empty()) throw o.error("username", "must not be empty");
  c.password = o.get_string("password", "");
  const auto login = o.get_enum("login", "auto", {"auto", "plain", "legacy"});
  c.login = login == "plain" ? LoginMethod::plain : login == "legacy" ? LoginMethod::legacy : LoginMethod::automatic;
  c.timeout = o.get_duration("timeout", c.timeout, Duration(1));
  c.connect_timeout = o.get_duration("connect_timeout", c.connect_timeout, Duration(1));
  c.keepalive = o.get_duration("keepalive", c.keepalive);
  c.dead_after = o.get_duration("dead_after", c.dead_after, Duration(1));
  c.reconnect_initial = o.get_duration("reconnect_initial", c.reconnect_initial, Duration(1));
  c.reconnect_max = o.get_duration("reconnect_max", c.reconnect_max, Duration(1));
  if (c.reconnect_initial > c.reconnect_max)
    throw o.error("reconnect_initial",
                  "must not be greater than reconnect_max (" + format_duration(c.reconnect_max) + ")");
  c.max_pending = static_cast<size_t>(o.get_int("max_pending", static_cast<int64_t>(c.max_pending), 1, 10000000));
  c.limits.max_word_bytes =
      static_cast<size_t>(o.get_int("max_word_bytes", static_cast<int64_t>(c.limits.max_word_bytes), 1024, 1ll << 32));
  c.limits.max_sentence_bytes = static_cast<size_t>(
      o.get_int("max_sentence_bytes", static_cast<int64_t>(c.limits.max_sentence_bytes), 1024, 1ll << 34));
  if (c.limits.max_sentence_bytes < c.limits.max_word_bytes)
    throw o.error("max_sentence_bytes",
                  "must be at least max_word_bytes (" + std::to_string(c.limits.max_word_bytes) + ")");
  return c;
}

RouterRegistry::RouterRegistry(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health,
                               std::shared_ptr<spdlog::logger> log, Clock& clock)
    : io_(io), stats_(stats), health_(health), log_(std::move(log)), clock_(clock) {}

RouterRegistry::~RouterRegistry() {
  std::lock_guard lk(mu_);
  for (auto& [name, s] : sessions_) s->stop(nullptr);
}

void RouterRegistry::configure(const YAML::Node& section, std::shared_ptr<const std::string> file) {
  if (!file) file = std::make_shared<const std::string>("<config>");
  if (!section.IsDefined() || section.IsNull()) return;
  if (!section.IsMap())
    throw config_error_at(*file, section, "routers",
                          "expected a map of router name to options, got " + describe_node(section));
  std::vector<RouterConfig> configs;
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string path = "routers." + name;
    if (name.empty()) throw config_error_at(*file, it->first, "routers", "router name must not be empty");
    {
      std::lock_guard lk(mu_);
      if (sessions_.count(name)) throw config_error_at(*file, it->first, path, "router is defined twice");
    }
    if (!it->second.IsMap())
      throw config_error_at(*file, it->second, path,
                            "expected a map with at least host and username, got " + describe_node(it->second));
    Options opts(it->second, path, file);
    RouterConfig cfg = parse_router_config(opts, name);
    opts.check_unknown();
    configs.push_back(std::move(cfg));
  }
  for (auto& c : configs) add(std::move(c));
}

std::shared_ptr<Session> RouterRegistry::add(RouterConfig cfg) {
  if (cfg.name.empty()) throw std::invalid_argument("router name must not be empty");
  std::lock_guard lk(mu_);
  if (sessions_.count(cfg.name)) throw std::invalid_argument("router " + cfg.name + " is already registered");
  auto log = log_;
  auto s = Session::create(io_, std::move(cfg), stats_, &health_, std::move(log), clock_);
  sessions_[s->name()] = s;
  if (started_) s->start();
  return s;
}

void RouterRegistry::start() {
  std::lock_guard lk(mu_);
  started_ = true;
  for (auto& [name, s] : sessions_) s->start();
}

void RouterRegistry::stop(std::function<void()> done) {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [name, s] : sessions_) all.push_back(s);
  }
  if (all.empty()) {
    if (done) done();
    return;
  }
  auto remaining = std::make_shared<std::atomic<size_t>>(all.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& s : all)
    s->stop([remaining, shared_done] {
      if (remaining->fetch_sub(1) == 1 && *shared_done) (*shared_done)();
    });
}

std::shared_ptr<Session> RouterRegistry::find(const std::string& name) const {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(name);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::string> RouterRegistry::names() const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (const auto& [name, s] : sessions_) out.push_back(name);
  return out;
}

}  // namespace routerpulse::routeros
