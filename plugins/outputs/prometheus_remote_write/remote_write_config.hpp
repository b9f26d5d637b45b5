// prometheus_remote_write — options as data, and their parsing into Settings
// (shared by validate, which is pure, and the constructor). See README.md.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "httpc/tls.hpp"
#include "httpc/url.hpp"
#include "routerpulse/config.hpp"

namespace routerpulse::remote_write {

inline constexpr OptionSpec kOptions[] = {
    {.name = "url",
     .type = OptionType::string,
     .doc = "the receiver's remote write endpoint, http:// or https:// (Prometheus: /api/v1/write)",
     .required = true,
     .example = "\"http://127.0.0.1:9090/api/v1/write\""},
    {.name = "external_labels",
     .type = OptionType::string_map,
     .doc = "labels added to every series that does not have them (e.g. {pop: pop1})"},
    {.name = "max_samples_per_send",
     .type = OptionType::integer,
     .default_value = "2000",
     .doc = "samples per request at most; a bigger batch becomes several requests, sent in order",
     .min = 1,
     .max = 1000000},
    {.name = "concurrency",
     .type = OptionType::integer,
     .default_value = "1",
     .doc = "requests in flight at most (series are spread over this many ordered lanes and connections)",
     .min = 1,
     .max = 64},
    {.name = "base_units",
     .type = OptionType::boolean,
     .default_value = "true",
     .doc = "rewrite abbreviated unit suffixes (_ms, _s, _b, ...) to base units, as the prometheus output does"},
    {.name = "basic_auth",
     .type = OptionType::map,
     .doc = "{username: …, password: …}: HTTP basic authentication (values may use ${env:…} / ${file:…})"},
    {.name = "bearer_token",
     .type = OptionType::string,
     .doc = "sent as Authorization: Bearer <token> (use ${file:…} or ${env:…})"},
    {.name = "headers",
     .type = OptionType::string_map,
     .doc = "extra request headers (e.g. X-Scope-OrgID for Mimir/Cortex tenants)"},
    {.name = "idle_timeout",
     .type = OptionType::duration,
     .default_value = "30s",
     .doc = "an idle keep-alive connection older than this is closed instead of reused",
     .min = kPositive},
    {.name = "ca_file",
     .type = OptionType::string,
     .doc = "PEM CA bundle to verify the server with (default: the system store)"},
    {.name = "tls_insecure_skip_verify",
     .type = OptionType::boolean,
     .default_value = "false",
     .doc = "do not verify the server certificate (testing only)"},
    {.name = "cert_file", .type = OptionType::string, .doc = "PEM client certificate (with key_file)"},
    {.name = "key_file", .type = OptionType::string, .doc = "PEM private key of cert_file"},
};

struct Settings {
  httpc::Url url;
  std::vector<std::pair<std::string, std::string>> external_labels;
  size_t max_samples_per_send = 2000;
  size_t concurrency = 1;
  bool base_units = true;
  std::string authorization;  ///< the Authorization header value, or empty
  std::vector<std::pair<std::string, std::string>> headers;
  Duration idle_timeout{}, timeout{};
  httpc::TlsSettings tls;  ///< paths resolved by the constructor
};

/// Reads and checks every option (pure). Throws ConfigError naming the option.
Settings parse_settings(const Options& o);

}  // namespace routerpulse::remote_write
