// routeros_traffic — control API views (see traffic_api.hpp).
#include "traffic_api.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "on_demand.hpp"
#include "pppoe_session.hpp"
#include "router_traffic.hpp"
#include "routerpulse/api.hpp"
#include "routerpulse/http.hpp"
#include "sample_sink.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

using nlohmann::json;

std::string sample_json(const Metric& m, int64_t now_ns) {
  json j = json::object();
  for (const auto& t : m.tags()) j[t.key == "pppoe_user" ? "user" : t.key] = t.value;
  j["time_ns"] = m.time();
  j["age_ms"] = now_ns > m.time() ? (now_ns - m.time()) / 1000000 : 0;
  for (const auto& f : m.fields()) {
    std::string k = f.key.str();
    std::replace(k.begin(), k.end(), '-', '_');
    std::visit([&](const auto& v) { j[k] = v; }, f.value);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

struct TrafficApi::Instance {
  TrafficInput* input = nullptr;  ///< use only while `alive` is locked
  HttpRoutes* http = nullptr;
  std::weak_ptr<Component> alive;
  Strand strand;
  std::vector<std::pair<std::string, std::shared_ptr<SampleSink>>> sinks;  ///< router → sink (continuous, on-demand)
};

namespace {

/// The routes are shared by every instance in the process.
struct Shared {
  std::mutex mu;
  std::vector<std::shared_ptr<TrafficApi::Instance>> instances;
  /// Servers the routes are on, with the number of instances using each (a
  /// reload may briefly run instances of the old and the new agent graph).
  std::map<HttpRoutes*, size_t> servers;
  std::atomic<size_t> subscribers{0};

  std::vector<std::shared_ptr<TrafficApi::Instance>> all() {
    std::lock_guard lk(mu);
    return instances;
  }
};

Shared& shared() {
  static Shared s;
  return s;
}

const char* kSessionsSchema = R"J({"type":"object","required":["router","sessions"],"properties":{
 "router":{"type":"string"},"synced":{"type":"boolean"},"sessions":{"type":"array","items":{"type":"object",
 "properties":{"user":{"type":"string"},"interface":{"type":"string"},"address":{"type":"string"},
 "caller_id":{"type":"string"},"session_id":{"type":"string"},"uptime_seconds":{"type":"integer"},
 "monitored":{"type":"boolean"}}}}}})J";

const char* kSamplesSchema = R"J({"type":"object","required":["samples"],"properties":{"samples":{"type":"array",
 "items":{"type":"object","properties":{"router":{"type":"string"},"user":{"type":"string"},
 "interface":{"type":"string"},"time_ns":{"type":"integer"},"age_ms":{"type":"integer"},
 "download_bits_per_second":{"type":"number"},"upload_bits_per_second":{"type":"number"}}}}}})J";

void sessions_route(const ApiRequest& req, ApiReply reply) {
  const std::string router = req.param("router");
  for (const auto& inst : shared().all()) {
    if (std::none_of(inst->sinks.begin(), inst->sinks.end(), [&](const auto& p) { return p.first == router; }))
      continue;
    auto self = inst->alive.lock();
    if (!self) continue;
    TrafficInput* input = inst->input;
    boost::asio::post(inst->strand, input->guarded([input, router, reply]() mutable {
      for (const auto& part : input->router_parts()) {
        if (part->name() != router) continue;
        json out = {{"router", router}, {"sessions", json::array()}};
        if (auto* t = part->tracker()) {
          out["synced"] = t->synced();
          const auto now = input->ctx().clock.steady_now();
          std::vector<const PppoeSession*> list;
          for (const auto& [id, s] : t->sessions()) list.push_back(&s);
          std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->user < b->user; });
          for (const auto* s : list)
            out["sessions"].push_back({{"user", s->user},
                                       {"interface", s->interface},
                                       {"address", s->address},
                                       {"caller_id", s->caller_id},
                                       {"session_id", s->session_id},
                                       {"uptime_seconds", s->uptime_at(now)},
                                       {"monitored", part->is_monitored(s->interface)}});
        }
        return reply.json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
      }
      reply.error(404, "router " + router + " is not tracked by this input");
    }));
    return;
  }
  reply.error(404, "router \"" + router + "\" is not tracked by a routeros_traffic input");
}

/// (sink, router) pairs for `router` (empty = all).
std::vector<std::pair<std::shared_ptr<SampleSink>, std::string>> sinks_for(const std::string& router) {
  std::vector<std::pair<std::shared_ptr<SampleSink>, std::string>> out;
  for (const auto& inst : shared().all())
    for (const auto& [name, sink] : inst->sinks)
      if (sink && (router.empty() || name == router)) out.emplace_back(sink, name);
  return out;
}

void traffic_route(const ApiRequest& req, ApiReply reply) {
  auto user = req.query_value("user");
  if (!user || user->empty()) return reply.error(400, "query parameter user is required, e.g. ?user=alice");
  const std::string router = req.query_value("router").value_or("");
  const int64_t now = routerpulse::now_ns();
  std::string body = "{\"samples\":[";
  bool any = false;
  for (const auto& [sink, name] : sinks_for(router)) {
    if (auto m = sink->latest(pppoe_interface(*user))) {
      body += (any ? "," : "") + sample_json(*m, now);
      any = true;
    }
  }
  body += "]}";
  if (!any)
    return reply.error(404, "no live sample for user \"" + *user + "\"" + (router.empty() ? "" : " on " + router) +
                                ": not online, not streamed (pppoe filter, max_monitors) or unknown");
  reply.json(200, body);
}

void stream_route(const ApiRequest& req, ApiReply reply) {
  auto users = req.query_list("user");
  if (users.empty()) return reply.error(400, "query parameter user is required, e.g. ?user=alice,bob");
  if (users.size() > 100) return reply.error(400, "at most 100 users per stream");
  const std::string router = req.query_value("router").value_or("");
  auto sinks = sinks_for(router);
  if (sinks.empty()) return reply.error(404, "no routeros_traffic input streams live traffic" +
                                                 (router.empty() ? std::string() : " on " + router));
  auto& sh = shared();
  if (sh.subscribers.fetch_add(1) >= kMaxSubscribers) {
    sh.subscribers.fetch_sub(1);
    return reply.error(429, "too many traffic streams open (" + std::to_string(kMaxSubscribers) + ")");
  }
  auto stream = reply.events(kStreamQueueBytes);
  if (!stream) {
    sh.subscribers.fetch_sub(1);
    return;
  }
  stream->on_close([] { shared().subscribers.fetch_sub(1); });
  const int64_t now = routerpulse::now_ns();
  for (const auto& u : users) {
    const std::string iface = pppoe_interface(u);
    for (const auto& [sink, name] : sinks) {
      if (auto m = sink->latest(iface)) stream->send("sample", sample_json(*m, now));
      sink->watch(iface, stream);
    }
  }
}

const char* kMonitorSchema = R"J({"type":"object","properties":{"id":{"type":"string"},"router":{"type":"string"},
 "user":{"type":"string"},"interface":{"type":"string"},"created_ns":{"type":"integer"},
 "ttl_seconds":{"type":"number"},"expires_in_seconds":{"type":"number"}}})J";

/// Tries instance `i`, then the next ones while the user is unknown.
void create_on(size_t i, std::vector<std::shared_ptr<TrafficApi::Instance>> all, std::string user, std::string router,
               std::optional<Duration> ttl, ApiReply reply) {
  if (i >= all.size())
    return reply.error(404, "user \"" + user + "\" has no active PPPoE session" +
                                (router.empty() ? std::string(" on any tracked router") : " on " + router));
  auto inst = all[i];
  auto alive = inst->alive.lock();
  if (!alive) return create_on(i + 1, std::move(all), user, router, ttl, reply);
  TrafficInput* input = inst->input;
  boost::asio::post(inst->strand, input->guarded([=]() mutable {
    auto* od = input->on_demand();
    if (!od) return reply.error(503, "the routeros_traffic input is not running");
    od->create(user, router, ttl.value_or(input->settings().on_demand_ttl), reply,
               [=](ApiReply r) mutable { create_on(i + 1, all, user, router, ttl, r); });
  }));
}

void monitors_post(const ApiRequest& req, ApiReply reply) {
  auto body = json::parse(req.http.body, nullptr, false);
  if (!body.is_object()) return reply.error(400, "expected a JSON object like {\"user\": \"alice\"}");
  if (body.contains("customer_id") && !body.contains("user"))
    return reply.error(400, "customer_id lookup is not available in this build; send \"user\" (the PPPoE user name)");
  if (!body.contains("user") || !body["user"].is_string() || body["user"].get<std::string>().empty())
    return reply.error(400, "\"user\" (the PPPoE user name, a non-empty string) is required");
  std::string router;
  if (body.contains("router")) {
    if (!body["router"].is_string()) return reply.error(400, "\"router\" must be a string");
    router = body["router"].get<std::string>();
  }
  std::optional<Duration> ttl;
  if (body.contains("ttl_seconds")) {
    if (!body["ttl_seconds"].is_number() || body["ttl_seconds"].get<double>() < 1 ||
        body["ttl_seconds"].get<double>() > 86400)
      return reply.error(400, "\"ttl_seconds\" must be a number from 1 to 86400");
    ttl = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(body["ttl_seconds"].get<double>()));
  }
  create_on(0, shared().all(), body["user"].get<std::string>(), router, ttl, reply);
}

/// Runs `fn` on every running instance's strand, then `done` once (any thread).
struct FanOut {
  std::mutex mu;
  size_t left = 0;
  std::function<void()> done;
  void finish_one() {
    std::function<void()> d;
    {
      std::lock_guard lk(mu);
      if (--left == 0) d = std::move(done);
    }
    if (d) d();
  }
};

void for_each_instance(std::function<void(TrafficInput&)> fn, std::function<void()> done) {
  auto all = shared().all();
  auto f = std::make_shared<FanOut>();
  f->left = all.size() + 1;
  f->done = std::move(done);
  for (const auto& inst : all) {
    auto alive = inst->alive.lock();
    if (!alive) continue;
    TrafficInput* input = inst->input;
    // Counted down whether or not the guarded call runs (the input may stop).
    auto token = std::shared_ptr<void>(nullptr, [f](void*) { f->finish_one(); });
    boost::asio::post(inst->strand, input->guarded([input, fn, token] { fn(*input); }));
  }
  f->finish_one();
}

void monitors_get(const ApiRequest&, ApiReply reply) {
  struct Acc {
    std::mutex mu;
    std::vector<std::string> monitors;
    std::map<std::string, int64_t> slots;
  };
  auto acc = std::make_shared<Acc>();
  for_each_instance(
      [acc](TrafficInput& in) {
        if (!in.on_demand()) return;
        std::lock_guard lk(acc->mu);
        in.on_demand()->list(acc->monitors, acc->slots);
      },
      [acc, reply]() mutable {
        std::lock_guard lk(acc->mu);
        std::string body = "{\"monitors\":[";
        for (size_t i = 0; i < acc->monitors.size(); ++i) body += (i ? "," : "") + acc->monitors[i];
        body += "],\"slots_available\":" + json(acc->slots).dump() + "}";
        reply.json(200, body);
      });
}

void monitors_delete(const ApiRequest& req, ApiReply reply) {
  auto found = std::make_shared<std::atomic<bool>>(false);
  const std::string id = req.param("id");
  for_each_instance(
      [found, id](TrafficInput& in) {
        if (in.on_demand() && in.on_demand()->remove(id)) found->store(true);
      },
      [found, id, reply]() mutable {
        if (found->load()) return reply.json(200, json{{"deleted", id}}.dump());
        reply.error(404, "no on-demand monitor " + id + " (it may have expired)");
      });
}

void add_routes(HttpRoutes& http) {
  ApiRoute mpost;
  mpost.method = "POST";
  mpost.pattern = "/api/v1/monitors";
  mpost.role = ApiRole::control;
  mpost.summary = "Start (or extend) live monitor-traffic for a customer not streamed continuously";
  mpost.request_schema = R"J({"type":"object","required":["user"],"properties":{"user":{"type":"string"},
 "router":{"type":"string"},"ttl_seconds":{"type":"number","minimum":1,"maximum":86400}}})J";
  mpost.response_schema = kMonitorSchema;
  mpost.success_status = 201;
  mpost.error_statuses = {400, 404, 409, 429};
  http.add_api_route(mpost, monitors_post);
  ApiRoute mget;
  mget.pattern = "/api/v1/monitors";
  mget.summary = "On-demand monitors with the free slots per router";
  mget.response_schema = R"J({"type":"object","properties":{"monitors":{"type":"array","items":{"type":"object"}},
 "slots_available":{"type":"object","additionalProperties":{"type":"integer"}}}})J";
  http.add_api_route(mget, monitors_get);
  ApiRoute mdel;
  mdel.method = "DELETE";
  mdel.pattern = "/api/v1/monitors/{id}";
  mdel.role = ApiRole::control;
  mdel.summary = "End an on-demand monitor now";
  mdel.error_statuses = {404};
  http.add_api_route(mdel, monitors_delete);

  ApiRoute sessions;
  sessions.pattern = "/api/v1/routers/{router}/sessions";
  sessions.summary = "PPPoE sessions the routeros_traffic input tracks on the router";
  sessions.response_schema = kSessionsSchema;
  sessions.error_statuses = {404};
  http.add_api_route(sessions, sessions_route);
  ApiRoute traffic;
  traffic.pattern = "/api/v1/traffic";
  traffic.summary = "The latest live sample of a customer, with its age";
  traffic.query = {{"user", "PPPoE user name", true}, {"router", "only this router", false}};
  traffic.response_schema = kSamplesSchema;
  traffic.error_statuses = {400, 404};
  http.add_api_route(traffic, traffic_route);
  ApiRoute stream;
  stream.pattern = "/api/v1/traffic/stream";
  stream.summary = "Server-Sent Events: every new sample of the given customers (event `sample`)";
  stream.query = {{"user", "PPPoE user names, comma-separated or repeated", true},
                  {"router", "only this router", false}};
  stream.event_stream = true;
  stream.error_statuses = {400, 404, 429};
  http.add_api_route(stream, stream_route);
}

void remove_routes(HttpRoutes& http) {
  http.remove_api_route("POST", "/api/v1/monitors");
  http.remove_api_route("GET", "/api/v1/monitors");
  http.remove_api_route("DELETE", "/api/v1/monitors/{id}");
  http.remove_api_route("GET", "/api/v1/routers/{router}/sessions");
  http.remove_api_route("GET", "/api/v1/traffic");
  http.remove_api_route("GET", "/api/v1/traffic/stream");
}

}  // namespace

TrafficApi::TrafficApi(TrafficInput& input) : input_(input) {}

TrafficApi::~TrafficApi() { stop(); }

void TrafficApi::start() {
  auto& ctx = input_.ctx();
  if (!ctx.http || self_) return;
  self_ = std::make_shared<Instance>(Instance{&input_, ctx.http, input_.weak_from_this(), ctx.strand, {}});
  for (const auto& part : input_.router_parts())
    if (part->sink()) self_->sinks.emplace_back(part->name(), part->sink());
  if (input_.on_demand())
    for (auto& p : input_.on_demand()->sinks()) self_->sinks.push_back(std::move(p));
  auto& sh = shared();
  std::lock_guard lk(sh.mu);
  sh.instances.push_back(self_);
  if (sh.servers[ctx.http]++ == 0) add_routes(*ctx.http);
}

void TrafficApi::stop() {
  if (!self_) return;
  auto& sh = shared();
  std::lock_guard lk(sh.mu);
  std::erase(sh.instances, self_);
  auto it = sh.servers.find(self_->http);
  if (it != sh.servers.end() && --it->second == 0) {
    remove_routes(*it->first);
    sh.servers.erase(it);
  }
  self_.reset();
}

}  // namespace routerpulse::routeros_traffic
