// ApiReply, ApiRequest helpers and json_quote (routerpulse/api.hpp).
#include <mutex>

#include <nlohmann/json.hpp>

#include "routerpulse/api.hpp"

namespace routerpulse {

const char* to_string(ApiRole r) noexcept {
  switch (r) {
    case ApiRole::read: return "read";
    case ApiRole::control: return "control";
    default: return "none";
  }
}

std::string json_quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ApiRequest::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::optional<std::string> ApiRequest::query_value(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ApiRequest::query_list(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = query_all.equal_range(name);
  for (auto it = b; it != e; ++it) {
    size_t start = 0;
    const std::string& v = it->second;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) out.push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

struct ApiReply::Shared {
  explicit Shared(std::shared_ptr<ApiReplySink> s) : sink(std::move(s)) {}
  ~Shared() {
    if (sink && !done) {
      HttpResponse res;
      res.status = 500;
      res.content_type = "application/json";
      res.body = "{\"error\":\"internal error: the handler did not answer\"}\n";
      sink->respond(std::move(res));
    }
  }
  /// True for the first caller only.
  bool claim() {
    std::lock_guard lk(mu);
    if (done) return false;
    done = true;
    return true;
  }
  std::mutex mu;
  bool done = false;
  std::shared_ptr<ApiReplySink> sink;
};

ApiReply::ApiReply(std::shared_ptr<ApiReplySink> sink) : s_(std::make_shared<Shared>(std::move(sink))) {}

void ApiReply::respond(HttpResponse res) {
  if (s_->claim()) s_->sink->respond(std::move(res));
}

void ApiReply::json(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  if (res.body.empty() || res.body.back() != '\n') res.body.push_back('\n');
  respond(std::move(res));
}

void ApiReply::error(int status, const std::string& message) {
  json(status, "{\"error\":" + json_quote(message) + "}");
}

std::shared_ptr<EventStream> ApiReply::events(size_t max_queued_bytes) {
  if (!s_->claim()) return nullptr;
  return s_->sink->open_events(max_queued_bytes);
}

bool ApiReply::answered() const {
  std::lock_guard lk(s_->mu);
  return s_->done;
}

}  // namespace routerpulse
