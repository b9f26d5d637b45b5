// The `/api/` part of routing: auth with roles, route match, the handler call
// (routerpulse/api.hpp).
#include <nlohmann/json.hpp>

#include "http/server_state.hpp"

namespace routerpulse {
namespace {

HttpResponse api_error(int status, const std::string& message) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/json";
  res.body = "{\"error\":" + json_quote(message) + "}\n";
  return res;
}

}  // namespace

void HttpServer::State::dispatch_api(const HttpRequest& req, const Config& cfg, const std::shared_ptr<Sink>& sink) {
  if (detached) {
    sink->respond(api_error(503, "the agent is shutting down"));
    return;
  }
  auto match = api.find(req.method, req.path);
  sink->label = match.handler ? match.route.pattern : "other";
  // Authenticate before saying anything about the path, so probing without a
  // key learns nothing (401 also for unknown paths).
  const ApiRole role = key_role(req, cfg);
  if (role == ApiRole::none) {
    auto res = api_error(401, cfg.keys.empty() ? "this agent has no API keys configured (agent.http.api_keys)"
                                               : "missing or unknown API key (send X-API-Key or Authorization: Bearer)");
    res.headers["WWW-Authenticate"] = "Bearer realm=\"routerpulse\"";
    sink->respond(std::move(res));
    return;
  }
  if (!match.handler) {
    if (!match.allow.empty()) {
      std::string allow;
      for (const auto& m : match.allow) allow += (allow.empty() ? "" : ", ") + m;
      auto res = api_error(405, "method " + req.method + " not allowed on " + req.path + "; use " + allow);
      res.headers["Allow"] = allow;
      sink->respond(std::move(res));
    } else {
      sink->respond(api_error(404, "no such API route: " + req.path));
    }
    return;
  }
  if (match.route.role == ApiRole::control && role != ApiRole::control) {
    sink->respond(api_error(403, "this route needs a key with role control; the key given has role read"));
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  ApiRequest areq{req, std::move(match.params), {}, {}, role};
  const auto q = req.target.find('?');
  if (q != std::string::npos) {
    areq.query_all = http::parse_query(std::string_view(req.target).substr(q + 1));
    for (const auto& [k, v] : areq.query_all) areq.query[k] = v;
  }
  {
    ApiReply reply(sink);
    try {
      (*match.handler)(areq, reply);
    } catch (const std::exception& e) {
      log->error("http: handler for {} {} failed: {}", req.method, match.route.pattern, e.what());
      reply.error(500, std::string("internal error: ") + e.what());
    }
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  stats
      .histogram("http", "request_duration_seconds", "Time spent producing HTTP responses (handler time).",
                 {{"path", sink->label}})
      .observe(took.count());
}

}  // namespace routerpulse
