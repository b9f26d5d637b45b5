// webhook output — options as data, and their parsing into Settings (shared
// by validate, which is pure, and the constructor). See README.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "routerpulse/config.hpp"
#include "httpc/tls.hpp"
#include "httpc/url.hpp"
#include "template_format.hpp"

namespace routerpulse::webhook {

// The HTTP client, URL, answer classification and TLS are shared with other
// outputs (plugins/common/httpc).
using namespace routerpulse::httpc;

inline constexpr OptionSpec kOptions[] = {
    {.name = "url",
     .type = OptionType::string,
     .doc = "the endpoint: http:// or https://, the full path (e.g. http://am:9093/api/v2/alerts)",
     .required = true,
     .example = "\"http://127.0.0.1:8080/hook\""},
    {.name = "method",
     .type = OptionType::choice,
     .default_value = "POST",
     .doc = "POST or PUT",
     .choices = "POST|PUT"},
    {.name = "format",
     .type = OptionType::choice,
     .default_value = "json",
     .doc = "json (metrics as JSON), alertmanager (alert events to Alertmanager API v2) or template",
     .choices = "json|alertmanager|template"},
    {.name = "batch",
     .type = OptionType::boolean,
     .default_value = "true",
     .doc = "json/template: one request per batch (true) or one per metric (false)"},
    {.name = "headers",
     .type = OptionType::string_map,
     .doc = "extra request headers; values may use ${env:NAME} / ${file:PATH}"},
    {.name = "max_connections",
     .type = OptionType::integer,
     .default_value = "4",
     .doc = "keep-alive connections to the endpoint at most",
     .min = 1,
     .max = 64},
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
    {.name = "gzip",
     .type = OptionType::boolean,
     .default_value = "false",
     .doc = "compress request bodies (Content-Encoding: gzip)"},
    {.name = "signing",
     .type = OptionType::map,
     .doc = "{standard_webhooks_secret: whsec_…, github_secret: …}: sign every request"},
    {.name = "resend_interval",
     .type = OptionType::duration,
     .default_value = "1m",
     .doc = "alertmanager: firing alerts are re-sent this often, with endsAt = now + 4 x this",
     .min = 1,
     .max = 86400},
    {.name = "resolved_retention",
     .type = OptionType::duration,
     .default_value = "15m",
     .doc = "alertmanager: resolved alerts are re-sent for this long after the resolve",
     .min = 0,
     .max = 86400},
    {.name = "generator_url", .type = OptionType::string, .doc = "alertmanager: generatorURL of every alert"},
    {.name = "preset",
     .type = OptionType::choice,
     .default_value = "none",
     .doc = "template: none, telegram, slack or discord (body built for that service, text cut to its limit)",
     .choices = "none|telegram|slack|discord"},
    {.name = "template",
     .type = OptionType::string,
     .doc = "template: Mustache text (preset none: the body; presets: the message text)"},
    {.name = "template_file", .type = OptionType::string, .doc = "template: read the template from this file"},
    {.name = "template_vars",
     .type = OptionType::string_map,
     .doc = "template: values the template sees as vars.<key> (telegram: chat_id)"},
};

struct Settings {
  Url url;
  std::string method, format;
  bool batch = true;
  std::vector<std::pair<std::string, std::string>> headers;
  size_t max_connections = 4;
  Duration idle_timeout{}, timeout{};
  TlsSettings tls;  // paths resolved by the constructor
  bool gzip = false;
  std::optional<std::string> standard_key;  ///< decoded whsec_ secret
  std::optional<std::string> github_secret;
  Duration resend_interval{}, resolved_retention{};
  std::string generator_url;
  Preset preset = Preset::none;
  std::string template_text, template_file;
  std::map<std::string, std::string> template_vars;
};

/// Reads and checks every option (pure: no file is read; template_file is
/// only recorded). Throws ConfigError naming the option.
Settings parse_settings(const Options& o);

}  // namespace routerpulse::webhook
