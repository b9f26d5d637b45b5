// routeros_traffic — control API views (see traffic_api.hpp).
#include "traffic_api.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

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
  TrafficInput* input = nullptr;
  std::weak_ptr<Component> alive;
  Strand strand;
  std::map<std::string, std::shared_ptr<SampleSink>> sinks;  ///< router → sink (null: no live traffic)
};

namespace {

/// The routes are shared by every instance in the process.
struct Shared {
  std::mutex mu;
  std::vector<std::shared_ptr<TrafficApi::Instance>> instances;
  HttpRoutes* http = nullptr;
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
    if (!inst->sinks.count(router)) continue;
    auto self = inst->alive.lock();
    if (!self) break;
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

void add_routes(HttpRoutes& http) {
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
  self_ = std::make_shared<Instance>(Instance{&input_, input_.weak_from_this(), ctx.strand, {}});
  for (const auto& part : input_.router_parts()) self_->sinks[part->name()] = part->sink();
  auto& sh = shared();
  std::lock_guard lk(sh.mu);
  sh.instances.push_back(self_);
  if (!sh.http) {
    sh.http = ctx.http;
    add_routes(*sh.http);
  }
}

void TrafficApi::stop() {
  if (!self_) return;
  auto& sh = shared();
  std::lock_guard lk(sh.mu);
  std::erase(sh.instances, self_);
  self_.reset();
  if (sh.instances.empty() && sh.http) {
    remove_routes(*sh.http);
    sh.http = nullptr;
  }
}

}  // namespace routerpulse::routeros_traffic
