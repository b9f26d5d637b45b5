#include "httpc/delivery.hpp"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

namespace routerpulse::httpc {
namespace {

constexpr auto kRetryAfterCap = std::chrono::hours(1);

Duration capped(double seconds) {
  if (!(seconds >= 0)) return Duration{0};
  if (seconds > 3600) return kRetryAfterCap;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

std::optional<Duration> parse_retry_after(std::string_view value, int64_t now_unix_s) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return kRetryAfterCap;
    return capped(std::stod(std::string(value)));
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 9110 §5.6.7).
  struct tm tm {};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const int64_t at = timegm(&tm);
  return capped(static_cast<double>(std::max<int64_t>(0, at - now_unix_s)));
}

std::optional<Duration> retry_after_from_body(std::string_view body) {
  if (body.empty() || body.front() != '{') return std::nullopt;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const nlohmann::json* v = nullptr;
  if (auto p = j.find("parameters"); p != j.end() && p->is_object()) {
    if (auto r = p->find("retry_after"); r != p->end()) v = &*r;
  }
  if (!v) {
    if (auto r = j.find("retry_after"); r != j.end()) v = &*r;
  }
  if (!v || !v->is_number()) return std::nullopt;
  return capped(v->get<double>());
}

std::string excerpt(std::string_view body, size_t max) {
  std::string out;
  const size_t n = std::min(body.size(), max);
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  }
  // Do not end inside a UTF-8 sequence.
  while (n < body.size() && !out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (n < body.size() && !out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
  if (n < body.size()) out += "…";
  return out;
}

Classified classify(const HttpOutcome& r, int64_t now_unix_s) {
  Classified c;
  if (!r.error.empty()) {
    c.verdict = Verdict::retry;
    c.why = r.error;
    return c;
  }
  const int s = r.status;
  if (s >= 200 && s < 300) return c;
  std::string body = excerpt(r.body);
  c.why = "HTTP " + std::to_string(s) + (body.empty() ? std::string() : ": " + body);
  if (s == 408 || s == 425 || s == 429 || (s >= 500 && s < 600)) {
    c.verdict = Verdict::retry;
    auto after = parse_retry_after(r.retry_after, now_unix_s);
    if (!after) after = retry_after_from_body(r.body);
    if (after) c.retry_after = *after;
    return c;
  }
  if (s == 410) {
    c.verdict = Verdict::gone;
    c.why = "HTTP 410 Gone: the endpoint is disabled until the agent is reloaded" +
            (body.empty() ? std::string() : " (" + body + ")");
    return c;
  }
  c.verdict = Verdict::rejected;
  if (s >= 300 && s < 400) c.why += " (redirects are not followed: fix the url)";
  return c;
}

}  // namespace routerpulse::httpc
