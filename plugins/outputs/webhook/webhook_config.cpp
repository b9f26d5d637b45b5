#include "webhook_config.hpp"

#include <algorithm>
#include <cctype>

#include "signing.hpp"

namespace routerpulse::webhook {
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
  auto url = parse_url(o.str("url"), err);
  if (!url) throw o.error("url", err);
  s.url = *url;
  s.method = o.str("method");
  s.format = o.str("format");
  s.batch = o.boolean("batch");
  s.headers = o.get_string_map("headers");
  for (const auto& [k, v] : s.headers) {
    if (k.empty() || !std::all_of(k.begin(), k.end(), token_char))
      throw o.error("headers", "\"" + k + "\" is not a valid header name (RFC 9110 §5.1)");
    if (v.find_first_of("\r\n") != std::string::npos)
      throw o.error("headers", k + ": a header value cannot contain a line break");
    const std::string l = lower(k);
    if (l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection" ||
        l.starts_with("webhook-") || l == "x-hub-signature-256")
      throw o.error("headers", k + " is set by the output itself");
  }
  s.max_connections = static_cast<size_t>(o.integer("max_connections"));
  s.idle_timeout = o.duration("idle_timeout");
  s.timeout = o.duration("timeout");  // the engine's write timeout is also each request's deadline
  s.gzip = o.boolean("gzip");
  s.tls = parse_tls(o, s.url.tls);

  if (o.has("signing")) {
    Options sig = o.child("signing");
    if (!sig.node().IsMap()) throw o.error("signing", "expected a map {standard_webhooks_secret: …, github_secret: …}");
    if (auto v = sig.get_optional_string("standard_webhooks_secret")) {
      auto key = decode_standard_secret(*v, err);
      if (!key) throw sig.error("standard_webhooks_secret", err);
      s.standard_key = std::move(key);
    }
    if (auto v = sig.get_optional_string("github_secret")) {
      if (v->empty()) throw sig.error("github_secret", "must not be empty");
      s.github_secret = *v;
    }
    sig.check_unknown();
    if (!s.standard_key && !s.github_secret)
      throw o.error("signing", "needs standard_webhooks_secret and/or github_secret");
  }

  s.resend_interval = o.duration("resend_interval");
  s.resolved_retention = o.duration("resolved_retention");
  s.generator_url = o.optional_str("generator_url").value_or("");
  s.preset = *parse_preset(o.str("preset"));
  s.template_text = o.optional_str("template").value_or("");
  s.template_file = o.optional_str("template_file").value_or("");
  for (const auto& [k, v] : o.get_string_map("template_vars")) s.template_vars[k] = v;

  const bool is_template = s.format == "template";
  for (const char* k : {"preset", "template", "template_file", "template_vars"})
    if (!is_template && o.has(k)) throw o.error(k, "only used with format: template");
  for (const char* k : {"resend_interval", "resolved_retention", "generator_url"})
    if (s.format != "alertmanager" && o.has(k)) throw o.error(k, "only used with format: alertmanager");
  if (s.format == "alertmanager" && o.has("batch"))
    throw o.error("batch", "format alertmanager always sends the batch's alerts in one request");
  if (is_template) {
    if (!s.template_text.empty() && !s.template_file.empty())
      throw o.error("template_file", "give template or template_file, not both");
    if (s.preset == Preset::none && s.template_text.empty() && s.template_file.empty())
      throw o.error("template", "format template needs a template, a template_file or a preset");
    if (s.preset == Preset::telegram && !s.template_vars.count("chat_id"))
      throw o.error("template_vars", "preset telegram needs template_vars: {chat_id: …}");
    if (!s.template_text.empty()) {
      try {
        TemplateFormat check(s.preset, s.template_text, s.template_vars);
      } catch (const std::invalid_argument& e) {
        throw o.error("template", std::string("invalid Mustache template: ") + e.what());
      }
    }
  }
  return s;
}

}  // namespace routerpulse::webhook
