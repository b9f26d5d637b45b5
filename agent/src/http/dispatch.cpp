// Routing: /metrics, /health, API-key check, component routes.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include <nlohmann/json.hpp>

#include "http/server_state.hpp"
#include "routerpulse/exposition.hpp"

namespace routerpulse {
namespace {

HttpResponse json_error(int status, const std::string& message) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/json";
  res.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return res;
}

bool sha256(const std::string& data, std::array<unsigned char, 32>& out) {
  unsigned int len = 0;
  return EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 && len == out.size();
}

}  // namespace

void HttpServer::State::set_config(const HttpServerSettings& s) {
  auto c = std::make_shared<Config>();
  c->settings = s;
  auto add_key = [&](const std::string& key, ApiRole role) {
    std::array<unsigned char, 32> digest{};
    if (!sha256(key, digest)) throw std::runtime_error("http: cannot hash an API key (OpenSSL SHA-256 unavailable)");
    c->keys.emplace_back(digest, role);
  };
  if (!s.api_key.empty()) add_key(s.api_key, ApiRole::control);
  for (const auto& k : s.api_keys) add_key(k.key, k.role);
  std::lock_guard lk(mu_);
  config_ = std::move(c);
}

std::shared_ptr<const HttpServer::State::Config> HttpServer::State::config() const {
  std::lock_guard lk(mu_);
  return config_;
}

bool HttpServer::State::key_ok(const HttpRequest& req, const Config& cfg) const {
  return key_role(req, cfg) != ApiRole::none;
}

ApiRole HttpServer::State::key_role(const HttpRequest& req, const Config& cfg) const {
  std::string given_key;
  if (auto it = req.headers.find("x-api-key"); it != req.headers.end()) {
    given_key = it->second;
  } else if (auto a = req.headers.find("authorization"); a != req.headers.end()) {
    // RFC 6750 §2.1: "Bearer" (case-insensitive scheme, RFC 9110 §11.1) SP token.
    const std::string& v = a->second;
    if (v.size() <= 7 || strncasecmp(v.c_str(), "bearer ", 7) != 0) return ApiRole::none;
    given_key = v.substr(v.find_first_not_of(' ', 7) == std::string::npos ? v.size() : v.find_first_not_of(' ', 7));
  } else {
    return ApiRole::none;
  }
  // Compare fixed-size digests with CRYPTO_memcmp, against every key without
  // stopping early, so neither the key's bytes, its length nor which key
  // matched leak through timing.
  std::array<unsigned char, 32> given{};
  if (!sha256(given_key, given)) return ApiRole::none;
  ApiRole role = ApiRole::none;
  for (const auto& [digest, r] : cfg.keys) {
    const bool match = CRYPTO_memcmp(given.data(), digest.data(), given.size()) == 0;
    if (match && r > role) role = r;
  }
  return role;
}

void HttpServer::State::add_route(const std::string& path, HttpHandler h, bool protect) {
  if (path == "/metrics" || path == "/health")
    throw std::invalid_argument("http: route " + path + " is built in and cannot be replaced");
  if (path.empty() || path[0] != '/') throw std::invalid_argument("http: route must start with '/': " + path);
  std::lock_guard lk(mu_);
  routes_[path] = Route{std::make_shared<const HttpHandler>(std::move(h)), protect};
}

bool HttpServer::State::has_route(const std::string& path) const {
  std::lock_guard lk(mu_);
  return routes_.count(path) > 0;
}

void HttpServer::State::remove_route(const std::string& path) {
  std::lock_guard lk(mu_);
  routes_.erase(path);
}

void HttpServer::State::add_exposition(const std::string& key, ExpositionWriter w) {
  std::lock_guard lk(mu_);
  expositions_[key] = std::make_shared<const ExpositionWriter>(std::move(w));
}

void HttpServer::State::remove_exposition(const std::string& key) {
  std::lock_guard lk(mu_);
  expositions_.erase(key);
}

std::string HttpServer::State::render_metrics() {
  std::string out;
  size_t last = last_metrics_size_.load(std::memory_order_relaxed);
  out.reserve(last + last / 8 + 4096);
  write_process_metrics(out);
  stats.write_prometheus(out);
  std::vector<std::pair<std::string, std::shared_ptr<const ExpositionWriter>>> writers;
  {
    std::lock_guard lk(mu_);
    writers.assign(expositions_.begin(), expositions_.end());
  }
  for (const auto& [key, w] : writers) {
    const size_t mark = out.size();
    try {
      (*w)(out);
      if (!out.empty() && out.back() != '\n') out.push_back('\n');
    } catch (const std::exception& e) {
      out.resize(mark);
      exposition_errors_.inc();
      log->error("http: /metrics writer '{}' failed, its series are left out of this scrape: {}", key, e.what());
    }
  }
  last_metrics_size_.store(out.size(), std::memory_order_relaxed);
  return out;
}

HttpResponse HttpServer::State::dispatch(const HttpRequest& req, const Config& cfg, std::string& route_label) {
  if (detached) {
    route_label = "other";
    return json_error(503, "the agent is shutting down");
  }
  const auto start = std::chrono::steady_clock::now();
  HttpResponse res;
  const bool builtin = req.path == "/metrics" || req.path == "/health";
  Route route;
  if (builtin) {
    route_label = req.path;
    if (req.method != "GET" && req.method != "HEAD") {
      res = json_error(405, "method " + req.method + " not allowed on " + req.path + "; use GET");
      res.headers["Allow"] = "GET, HEAD";
    } else if (req.path == "/metrics") {
      res.content_type = exposition::content_type;
      res.body = render_metrics();
    } else {
      res.content_type = "application/json";
      res.body = health.to_json();
      // Take the status from the rendered document so code and body agree.
      auto doc = nlohmann::json::parse(res.body, nullptr, false);
      std::string status = doc.is_object() ? doc.value("status", "unhealthy") : "unhealthy";
      res.status = status == "unhealthy" ? 503 : 200;
      res.body += "\n";
    }
  } else {
    {
      std::lock_guard lk(mu_);
      auto it = routes_.find(req.path);
      if (it != routes_.end()) route = it->second;
    }
    route_label = route.handler ? req.path : "other";
    const bool protect = route.handler ? route.protect : true;
    if (protect && !cfg.keys.empty() && !key_ok(req, cfg)) {
      res = json_error(401, "missing or invalid X-Api-Key header");
    } else if (!route.handler) {
      res = json_error(404, "no such path: " + req.path);
    } else {
      try {
        (*route.handler)(req, res);
      } catch (const std::exception& e) {
        log->error("http: handler for {} {} failed: {}", req.method, req.path, e.what());
        res = json_error(500, std::string("internal error: ") + e.what());
      }
    }
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  stats
      .histogram("http", "request_duration_seconds", "Time spent producing HTTP responses (handler time).",
                 {{"path", route_label}})
      .observe(took.count());
  return res;
}

void HttpServer::State::count_response(const std::string& route_label, int status, size_t wire_bytes) {
  if (detached) return;
  stats
      .counter("http", "requests_total", "HTTP requests answered, by path and status code.",
               {{"path", route_label}, {"code", std::to_string(status)}})
      .inc();
  stats
      .counter("http", "response_bytes_total", "HTTP response body bytes sent (after compression).",
               {{"path", route_label}})
      .inc(wire_bytes);
}

}  // namespace routerpulse
