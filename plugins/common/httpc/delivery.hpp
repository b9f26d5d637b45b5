// plugins/common/httpc — what an HTTP answer means for the batch (the engine's
// WriteResult), the way Fluent Bit's out_http and the research notes
// (shared/research/webhook-grafana-packaging.md §2) classify them:
//
//   | answer                                  | verdict  | WriteResult                              |
//   |-----------------------------------------|----------|------------------------------------------|
//   | 2xx                                     | success  | success()                                |
//   | network error, timeout                  | retry    | failure(why)                             |
//   | 408, 425, 429, 5xx                      | retry    | retry_later(why, Retry-After) / failure  |
//   | 410 Gone                                | gone     | rejected(why); the output disables itself|
//   | other 4xx, 1xx, 3xx (redirects are not followed) | rejected | rejected(why)                   |
//
// Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date; without the
// header, a JSON body's `parameters.retry_after` (Telegram Bot API) or
// `retry_after` (Discord, seconds, may be fractional) is used. Capped at 1 h
// here; the engine caps it again at the output's retry_max.
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "routerpulse/config.hpp"

namespace routerpulse::httpc {

/// One finished request: either a transport error or a response.
struct HttpOutcome {
  std::string error;        ///< non-empty: no response (connect, TLS, timeout, reset)
  int status = 0;           ///< HTTP status when error is empty
  std::string body;         ///< the response body (bounded by the client)
  std::string retry_after;  ///< the Retry-After header, if any
};

enum class Verdict { success, retry, rejected, gone };

struct Classified {
  Verdict verdict = Verdict::success;
  std::string why;          ///< for logs and WriteResult (no secrets, short body excerpt)
  Duration retry_after{0};  ///< when verdict is retry and the endpoint asked for a delay
};

/// `now_unix_s` is the wall clock (for HTTP-date Retry-After).
Classified classify(const HttpOutcome& r, int64_t now_unix_s);

/// Parses a Retry-After header value; nullopt when absent or malformed.
std::optional<Duration> parse_retry_after(std::string_view value, int64_t now_unix_s);
/// `parameters.retry_after` / `retry_after` of a JSON error body.
std::optional<Duration> retry_after_from_body(std::string_view body);
/// At most `max` bytes of a response body on one line (control characters
/// become spaces), "…" appended when cut.
std::string excerpt(std::string_view body, size_t max = 200);

}  // namespace routerpulse::httpc
