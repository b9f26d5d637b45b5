#include "remote_write_config.hpp"

#include <algorithm>
#include <cctype>

#include "routerpulse/exposition.hpp"

namespace routerpulse::remote_write {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string::npos;
}

}  // namespace

Settings parse_settings(const Options& o) {
  Settings s;
  std::string err;
  auto url = httpc::parse_url(o.str("url"), err);
  if (!url) throw o.error("url", err);
  s.url = *url;
  s.max_samples_per_send = static_cast<size_t>(o.integer("max_samples_per_send"));
  s.concurrency = static_cast<size_t>(o.integer("concurrency"));
  s.base_units = o.boolean("base_units");
  s.idle_timeout = o.duration("idle_timeout");
  s.timeout = o.duration("timeout");  // the engine's write timeout is also each request's deadline
  s.tls = httpc::parse_tls(o, s.url.tls);

  for (auto& [k, v] : o.get_string_map("external_labels")) {
    if (!exposition::is_valid_label_name(k))
      throw o.error("external_labels", "\"" + k + "\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __…)");
    if (v.empty()) throw o.error("external_labels", k + ": an empty value is no label in Prometheus");
    s.external_labels.emplace_back(k, v);
  }

  if (o.has("basic_auth")) {
    Options ba = o.child("basic_auth");
    if (!ba.node().IsMap()) throw o.error("basic_auth", "expected a map {username: …, password: …}");
    auto user = ba.get_optional_string("username");
    auto pass = ba.get_optional_string("password");
    ba.check_unknown();
    if (!user || user->empty()) throw o.error("basic_auth", "needs a username");
    if (user->find(':') != std::string::npos) throw ba.error("username", "cannot contain ':' (RFC 7617 §2)");
    s.authorization = httpc::basic_authorization(*user, pass.value_or(""));
  }
  if (auto token = o.optional_str("bearer_token")) {
    if (o.has("basic_auth")) throw o.error("bearer_token", "give basic_auth or bearer_token, not both");
    if (token->empty() || token->find_first_of("\r\n") != std::string::npos)
      throw o.error("bearer_token", "must be one non-empty line");
    s.authorization = "Bearer " + *token;
  }

  s.headers = o.get_string_map("headers");
  for (const auto& [k, v] : s.headers) {
    if (k.empty() || !std::all_of(k.begin(), k.end(), token_char))
      throw o.error("headers", "\"" + k + "\" is not a valid header name (RFC 9110 §5.1)");
    if (v.find_first_of("\r\n") != std::string::npos)
      throw o.error("headers", k + ": a header value cannot contain a line break");
    const std::string l = lower(k);
    if (l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection" || l == "content-type" ||
        l == "content-encoding" || l == "x-prometheus-remote-write-version")
      throw o.error("headers", k + " is set by the output itself");
    if (l == "authorization" && !s.authorization.empty())
      throw o.error("headers", "Authorization is set by basic_auth / bearer_token already");
  }
  return s;
}

}  // namespace routerpulse::remote_write
