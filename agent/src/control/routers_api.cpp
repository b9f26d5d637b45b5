// RoutersApi (routers_api.hpp).
// RouterOS sources: `/system/resource/print` and `/system/identity/print`
// (RouterOS manual, System → Resource; System → Identity).
#include "control/routers_api.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "routerpulse/api.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "routerpulse/routeros/values.hpp"

namespace routerpulse::control {

using nlohmann::json;
namespace ros = routerpulse::routeros;

namespace {

constexpr auto kDefaultDeadline = std::chrono::milliseconds(2000);

/// RouterOS attribute → JSON value: integers become numbers, durations become
/// seconds (`uptime_seconds` next to the text), everything else a string.
json resource_json(const ros::Reply& row) {
  json out = json::object();
  for (const auto& [k, v] : row.attributes) {
    if (!k.empty() && k[0] == '.') continue;
    std::string key = k;
    std::replace(key.begin(), key.end(), '-', '_');
    const bool digits = !v.empty() && v.size() < 19 && v.find_first_not_of("0123456789") == std::string::npos;
    if (digits) out[key] = std::stoll(v);
    else out[key] = v;
    if (k == "uptime")
      if (auto d = ros::parse_ros_duration(v)) out["uptime_seconds"] = std::chrono::duration<double>(*d).count();
  }
  return out;
}

}  // namespace

struct RoutersApi::State : std::enable_shared_from_this<RoutersApi::State> {
  struct Router {
    std::string state = "idle";
    int64_t since_ns = 0;
    std::string last_error;
    int64_t last_error_ns = 0;
    std::string identity;
    std::string version;
    double api_latency_seconds = -1;
    std::optional<json> resource;  ///< last good /system/resource row
    int64_t resource_ns = 0;
    SteadyTime resource_at{};
    uint64_t observer = 0;
  };

  explicit State(Clock& c) : clock(c) {}
  Clock& clock;
  std::mutex mu;
  std::map<std::string, Router> routers;
  std::map<std::string, std::shared_ptr<ros::Session>> sessions;

  void on_state(const std::string& name, ros::SessionState st, const std::string& detail) {
    bool up = false;
    {
      std::lock_guard lk(mu);
      auto& r = routers[name];
      r.state = ros::to_string(st);
      r.since_ns = clock.now_ns();
      if (st != ros::SessionState::up && !detail.empty()) {
        r.last_error = detail;
        r.last_error_ns = r.since_ns;
      }
      up = st == ros::SessionState::up;
    }
    if (up) read_identity(name);
  }

  void read_identity(const std::string& name) {
    auto s = session(name);
    if (!s) return;
    s->execute(ros::Command("/system/identity/print"), [w = weak_from_this(), name](ros::Result r) {
      auto self = w.lock();
      if (!self || !r.ok() || r.rows.empty()) return;
      std::lock_guard lk(self->mu);
      self->routers[name].identity = r.rows[0].get_or("name");
    });
    // Fills version and the resource cache.
    read_resource(name, std::chrono::seconds(10), {});
  }

  std::shared_ptr<ros::Session> session(const std::string& name) {
    std::lock_guard lk(mu);
    auto it = sessions.find(name);
    return it == sessions.end() ? nullptr : it->second;
  }

  /// `done` (optional) gets the outcome after the cache was updated.
  void read_resource(const std::string& name, std::chrono::nanoseconds deadline,
                     std::function<void(const ros::Result&)> done) {
    auto s = session(name);
    if (!s) return;
    ros::CommandOptions o;
    o.timeout = deadline;
    const auto sent = std::chrono::steady_clock::now();
    s->execute(
        ros::Command("/system/resource/print"),
        [w = weak_from_this(), name, sent, done = std::move(done)](ros::Result r) {
          auto self = w.lock();
          if (!self) return;
          if (r.ok() && !r.rows.empty()) {
            std::lock_guard lk(self->mu);
            auto& rt = self->routers[name];
            rt.resource = resource_json(r.rows[0]);
            rt.resource_ns = self->clock.now_ns();
            rt.resource_at = self->clock.steady_now();
            rt.version = r.rows[0].get_or("version");
            rt.api_latency_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
          } else if (!r.ok()) {
            std::lock_guard lk(self->mu);
            auto& rt = self->routers[name];
            rt.last_error = r.error.message;
            rt.last_error_ns = self->clock.now_ns();
          }
          if (done) done(r);
        },
        o);
  }

  json list() {
    json arr = json::array();
    std::lock_guard lk(mu);
    for (const auto& [name, s] : sessions) {
      const auto& r = routers[name];
      const auto& cfg = s->config();
      json j = {{"name", name},
                {"host", cfg.host},
                {"port", cfg.effective_port()},
                {"tls", cfg.tls},
                {"state", r.state},
                {"up", r.state == "up"},
                {"since_ns", r.since_ns},
                {"identity", r.identity.empty() ? json(nullptr) : json(r.identity)},
                {"version", r.version.empty() ? json(nullptr) : json(r.version)},
                {"api_latency_seconds", r.api_latency_seconds < 0 ? json(nullptr) : json(r.api_latency_seconds)},
                {"last_error", r.last_error.empty() ? json(nullptr) : json(r.last_error)},
                {"last_error_ns", r.last_error_ns ? json(r.last_error_ns) : json(nullptr)}};
      arr.push_back(std::move(j));
    }
    return arr;
  }

  void resource(const std::string& name, std::chrono::milliseconds deadline, ApiReply reply) {
    if (!session(name)) return reply.error(404, "unknown router \"" + name + "\" (not in routers:)");
    read_resource(name, deadline, [w = weak_from_this(), name, reply](const ros::Result& r) mutable {
      auto self = w.lock();
      if (!self) return reply.error(503, "the agent is shutting down");
      std::lock_guard lk(self->mu);
      const auto& rt = self->routers[name];
      if (!rt.resource)
        return reply.error(503, "router " + name + " has not answered /system/resource yet: " + r.error.message);
      const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(self->clock.steady_now() - rt.resource_at);
      json body = {{"router", name},
                   {"stale", !r.ok()},
                   {"age_ms", r.ok() ? 0 : age.count()},
                   {"time_ns", rt.resource_ns},
                   {"resource", *rt.resource}};
      if (!r.ok()) body["error"] = r.error.message;
      reply.json(200, body.dump());
    });
  }
};

RoutersApi::RoutersApi(HttpRoutes& http, routeros::RouterRegistry& routers, Clock& clock)
    : http_(http), routers_(routers), state_(std::make_shared<State>(clock)) {}

RoutersApi::~RoutersApi() { stop(); }

namespace {

const char* kRouterSchema = R"J({"type":"object","required":["routers"],"properties":{"routers":{"type":"array","items":{"type":"object","required":["name","host","state"],
 "properties":{"name":{"type":"string"},"host":{"type":"string"},"port":{"type":"integer"},"tls":{"type":"boolean"},
 "state":{"type":"string","enum":["idle","connecting","logging_in","up","backoff","stopped"]},"up":{"type":"boolean"},
 "since_ns":{"type":"integer","description":"Unix time (ns) of the last state change"},
 "identity":{"type":"string","nullable":true},"version":{"type":"string","nullable":true},
 "api_latency_seconds":{"type":"number","nullable":true},"last_error":{"type":"string","nullable":true},
 "last_error_ns":{"type":"integer","nullable":true}}}}}})J";

const char* kResourceSchema = R"J({"type":"object","required":["router","stale","age_ms","resource"],
 "properties":{"router":{"type":"string"},"stale":{"type":"boolean"},
 "age_ms":{"type":"integer","description":"age of the answer; 0 when live"},
 "time_ns":{"type":"integer"},"error":{"type":"string","description":"why the live read failed (stale answers)"},
 "resource":{"type":"object","description":"/system/resource attributes ('-' → '_'; integers as numbers)"}}})J";

}  // namespace

void RoutersApi::start() {
  if (started_) return;
  started_ = true;
  for (const auto& name : routers_.names()) {
    auto s = routers_.find(name);
    if (!s) continue;
    {
      std::lock_guard lk(state_->mu);
      state_->sessions[name] = s;
    }
    auto id = s->observe_state([w = std::weak_ptr<State>(state_), name](ros::SessionState st, const std::string& d) {
      if (auto self = w.lock()) self->on_state(name, st, d);
    });
    std::lock_guard lk(state_->mu);
    state_->routers[name].observer = id;
  }
  std::weak_ptr<State> w = state_;
  ApiRoute list;
  list.pattern = "/api/v1/routers";
  list.summary = "Every router of routers: with its API session state";
  list.response_schema = kRouterSchema;
  http_.add_api_route(list, [w](const ApiRequest&, ApiReply reply) {
    if (auto s = w.lock()) reply.json(200, json{{"routers", s->list()}}.dump());
  });
  ApiRoute res;
  res.pattern = "/api/v1/routers/{router}/resource";
  res.summary = "Live /system/resource read; the last good answer (stale) when the router does not answer in time";
  res.query = {{"timeout_ms", "deadline of the live read, 100–10000 (default 2000)", false}};
  res.response_schema = kResourceSchema;
  res.error_statuses = {400, 404, 503};
  http_.add_api_route(res, [w](const ApiRequest& req, ApiReply reply) {
    auto s = w.lock();
    if (!s) return reply.error(503, "the agent is shutting down");
    auto deadline = kDefaultDeadline;
    if (auto t = req.query_value("timeout_ms")) {
      auto v = ros::parse_ros_number(*t);
      if (!v || *v < 100 || *v > 10000) return reply.error(400, "timeout_ms must be a number from 100 to 10000");
      deadline = std::chrono::milliseconds(static_cast<int64_t>(*v));
    }
    s->resource(req.param("router"), deadline, reply);
  });
}

void RoutersApi::stop() {
  if (!started_) return;
  started_ = false;
  http_.remove_api_route("GET", "/api/v1/routers");
  http_.remove_api_route("GET", "/api/v1/routers/{router}/resource");
  std::lock_guard lk(state_->mu);
  for (auto& [name, s] : state_->sessions) s->unobserve_state(state_->routers[name].observer);
  state_->sessions.clear();
}

}  // namespace routerpulse::control
