// ApiTable: pattern matching and the OpenAPI document (api_table.hpp).
// OpenAPI Specification 3.0.3 (https://spec.openapis.org/oas/v3.0.3): paths,
// path parameters (§4.7.12, `in: path` must be `required: true`), security
// schemes `apiKey` in header and `http` bearer (§4.7.27).
#include "http/api_table.hpp"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace routerpulse::http {

using nlohmann::json;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string percent_decode(std::string_view s, bool plus) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (plus && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view q) {
  std::multimap<std::string, std::string> out;
  size_t start = 0;
  while (start < q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string_view::npos) amp = q.size();
    auto part = q.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      auto name = percent_decode(part.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1), true);
      out.emplace(std::move(name), std::move(value));
    }
    start = amp + 1;
  }
  return out;
}

namespace {

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

const std::vector<std::string> kMethods = {"GET", "POST", "DELETE", "PUT", "PATCH"};

}  // namespace

void ApiTable::add(const ApiRoute& route, ApiHandler handler) {
  if (route.pattern.rfind("/api/", 0) != 0)
    throw std::invalid_argument("http: API route must start with /api/: " + route.pattern);
  if (std::find(kMethods.begin(), kMethods.end(), route.method) == kMethods.end())
    throw std::invalid_argument("http: API route " + route.pattern + ": unsupported method '" + route.method + "'");
  if (!handler) throw std::invalid_argument("http: API route " + route.pattern + " has no handler");
  auto segs = split_path(route.pattern);
  for (const auto& s : segs) {
    if ((s.find('{') != std::string::npos || s.find('}') != std::string::npos) && !is_param(s))
      throw std::invalid_argument("http: API route " + route.pattern + ": a {param} must be a whole segment");
  }
  std::lock_guard lk(mu_);
  for (auto& e : entries_) {
    if (e.route.method == route.method && e.route.pattern == route.pattern) {
      e.route = route;
      e.handler = std::make_shared<const ApiHandler>(std::move(handler));
      return;
    }
  }
  entries_.push_back(Entry{route, std::move(segs), std::make_shared<const ApiHandler>(std::move(handler))});
}

void ApiTable::remove(const std::string& method, const std::string& pattern) {
  std::lock_guard lk(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.route.method == method && e.route.pattern == pattern; });
}

ApiTable::Match ApiTable::find(const std::string& method, const std::string& path) const {
  const std::string want = method == "HEAD" ? "GET" : method;
  const auto segs = split_path(path);
  Match best;
  int best_literals = -1;
  std::lock_guard lk(mu_);
  for (const auto& e : entries_) {
    if (e.segs.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (is_param(e.segs[i])) {
        if (segs[i].empty()) ok = false;
        else params[e.segs[i].substr(1, e.segs[i].size() - 2)] = percent_decode(segs[i], false);
      } else {
        ok = e.segs[i] == segs[i];
        ++literals;
      }
    }
    if (!ok) continue;
    if (std::find(best.allow.begin(), best.allow.end(), e.route.method) == best.allow.end())
      best.allow.push_back(e.route.method);
    if (e.route.method != want || literals <= best_literals) continue;
    best_literals = literals;
    best.handler = e.handler;
    best.route = e.route;
    best.params = std::move(params);
  }
  return best;
}

namespace {

json schema_or(const std::string& text, json fallback) {
  if (text.empty()) return fallback;
  auto j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

json error_response(const std::string& why) {
  return {{"description", why},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

const char* reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No content";
    case 400: return "Bad request";
    case 401: return "Missing or unknown API key";
    case 403: return "The key's role does not allow this route";
    case 404: return "Not found";
    case 409: return "Conflict";
    case 429: return "No capacity left (try again later)";
    case 503: return "Not available yet";
    default: return "Error";
  }
}

}  // namespace

std::string ApiTable::openapi(const std::string& version) const {
  json paths = json::object();
  std::vector<Entry> entries;
  {
    std::lock_guard lk(mu_);
    entries = entries_;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.route.pattern, a.route.method) < std::tie(b.route.pattern, b.route.method);
  });
  for (const auto& e : entries) {
    const auto& r = e.route;
    json op;
    op["summary"] = r.summary.empty() ? r.method + " " + r.pattern : r.summary;
    if (!r.description.empty()) op["description"] = r.description;
    std::string id = r.method;
    for (const auto& s : e.segs) id += "_" + (is_param(s) ? "by_" + s.substr(1, s.size() - 2) : s);
    std::replace_if(id.begin(), id.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '_'; }, '_');
    op["operationId"] = id;
    json params = json::array();
    for (const auto& s : e.segs)
      if (is_param(s))
        params.push_back({{"name", s.substr(1, s.size() - 2)}, {"in", "path"}, {"required", true},
                          {"schema", {{"type", "string"}}}});
    for (const auto& q : r.query) {
      json p = {{"name", q.name}, {"in", "query"}, {"required", q.required}, {"schema", {{"type", "string"}}}};
      if (!q.description.empty()) p["description"] = q.description;
      params.push_back(std::move(p));
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.request_schema.empty())
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", schema_or(r.request_schema, json::object())}}}}}};
    json responses = json::object();
    if (r.event_stream) {
      responses[std::to_string(r.success_status)] = {
          {"description", "Server-Sent Events (text/event-stream); each event's data is JSON"},
          {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
    } else {
      responses[std::to_string(r.success_status)] = {
          {"description", reason(r.success_status)},
          {"content", {{"application/json", {{"schema", schema_or(r.response_schema, {{"type", "object"}})}}}}}};
    }
    responses["401"] = error_response(reason(401));
    if (r.role == ApiRole::control) responses["403"] = error_response(reason(403));
    for (int code : r.error_statuses) responses[std::to_string(code)] = error_response(reason(code));
    op["responses"] = responses;
    std::string lower = r.method;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.pattern][lower] = std::move(op);
  }
  paths["/health"]["get"] = {
      {"summary", "Agent health (200 healthy or degraded, 503 unhealthy); no API key"},
      {"operationId", "GET_health"},
      {"security", json::array()},
      {"responses",
       {{"200", {{"description", "Healthy or degraded"}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
        {"503", {{"description", "Unhealthy"}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}};
  paths["/metrics"]["get"] = {
      {"summary", "Prometheus text exposition 0.0.4 of the agent's self-metrics; no API key"},
      {"operationId", "GET_metrics"},
      {"security", json::array()},
      {"responses",
       {{"200", {{"description", "Metrics"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}}}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "routerpulse control API"},
        {"version", version},
        {"description", "Read-only views of the agent's routers and customers, and on-demand monitoring. "
                        "Every /api/ route needs an API key (X-API-Key or Authorization: Bearer)."}}},
      {"paths", paths},
      {"security", json::array({{{"apiKeyHeader", json::array()}}, {{"bearer", json::array()}}})},
      {"components",
       {{"securitySchemes",
         {{"apiKeyHeader", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}},
          {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", json::array({"error"})},
            {"properties", {{"error", {{"type", "string"}}}}}}}}}}}};
  return doc.dump(1) + "\n";
}

}  // namespace routerpulse::http
