#include "template_format.hpp"

#include <stdexcept>

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "alertmanager.hpp"
#include "field_text.hpp"
#include "routerpulse/format.hpp"

namespace routerpulse::webhook {
namespace mst = kainjow::mustache;

namespace {

/// The inside of a JSON string (no quotes).
std::string json_escape(const std::string& s) {
  std::string q = nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return q.substr(1, q.size() - 2);
}

std::string summary(const Metric& m) {
  if (m.name() == "alert") {
    const auto* st = m.field("status");
    const bool resolved = st && std::holds_alternative<std::string>(*st) && std::get<std::string>(*st) == "resolved";
    std::string s = resolved ? "✅ RESOLVED " : "🔥 FIRING ";
    auto tag = [&](const char* k) { return m.tag(k) ? *m.tag(k) : std::string(); };
    s += tag("alertname");
    if (!tag("key").empty()) s += " " + tag("key");
    if (!tag("severity").empty()) s += " (" + tag("severity") + ")";
    if (const auto* msg = m.field("message")) {
      std::string t = field_text(*msg);
      if (!t.empty()) s += ": " + t;
    }
    return s;
  }
  Metric copy = m;
  copy.set_time(0);
  std::string line = to_line_protocol(copy);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

mst::data metric_data(const Metric& m) {
  mst::data d;
  d.set("name", m.name());
  d.set("time", AlertBook::rfc3339(m.time()));
  d.set("time_ns", std::to_string(m.time()));
  mst::data tags, fields;
  mst::data tag_list{mst::data::type::list}, field_list{mst::data::type::list};
  for (const Tag& t : m.tags()) {
    tags.set(t.key, t.value);
    mst::data e;
    e.set("key", t.key);
    e.set("value", t.value);
    tag_list.push_back(e);
  }
  for (const Field& f : m.fields()) {
    const std::string v = field_text(f.value);
    fields.set(f.key.str(), v);
    mst::data e;
    e.set("key", f.key.str());
    e.set("value", v);
    field_list.push_back(e);
  }
  d.set("tags", tags);
  d.set("fields", fields);
  d.set("tag_list", tag_list);
  d.set("field_list", field_list);
  const bool is_alert = m.name() == "alert";
  const auto* st = m.field("status");
  const std::string status = st ? field_text(*st) : std::string();
  d.set("is_alert", is_alert);
  d.set("firing", is_alert && status == "firing");
  d.set("resolved", is_alert && status == "resolved");
  d.set("summary", summary(m));
  return d;
}

}  // namespace

std::optional<Preset> parse_preset(const std::string& name) {
  if (name == "none") return Preset::none;
  if (name == "telegram") return Preset::telegram;
  if (name == "slack") return Preset::slack;
  if (name == "discord") return Preset::discord;
  return std::nullopt;
}

struct TemplateFormat::Impl {
  Preset preset;
  std::map<std::string, std::string> vars;
  std::string text;
  // kainjow's render() is not const (hence one thread at a time).
  std::unique_ptr<mst::mustache> compiled;
};

TemplateFormat::TemplateFormat(Preset preset, const std::string& text, std::map<std::string, std::string> vars)
    : impl_(std::make_unique<Impl>()) {
  impl_->preset = preset;
  impl_->vars = std::move(vars);
  impl_->text = text;
  if (impl_->text.empty()) {
    if (preset == Preset::none) throw std::invalid_argument("format template needs a template (or a preset)");
    impl_->text = "{{#metrics}}{{summary}}\n{{/metrics}}{{^metrics}}{{summary}}{{/metrics}}";
  }
  impl_->compiled = std::make_unique<mst::mustache>(impl_->text);
  if (!impl_->compiled->is_valid()) throw std::invalid_argument(impl_->compiled->error_message());
  if (preset == Preset::none)
    impl_->compiled->set_custom_escape(json_escape);
  else
    impl_->compiled->set_custom_escape([](const std::string& s) { return s; });
}

TemplateFormat::~TemplateFormat() = default;

size_t TemplateFormat::limit(Preset p) {
  switch (p) {
    case Preset::telegram: return 4096;
    case Preset::slack: return 40000;
    case Preset::discord: return 2000;
    case Preset::none: return 0;
  }
  return 0;
}

std::string TemplateFormat::truncate(const std::string& text, size_t max_units) {
  // UTF-16 units of each character: 2 for a 4-byte UTF-8 sequence, else 1.
  size_t units = 0, i = 0, cut = std::string::npos;
  const size_t ellipsis = 1;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    const size_t u = len == 4 ? 2 : 1;
    if (cut == std::string::npos && units + u > max_units - ellipsis) cut = i;
    units += u;
    i += len;
    if (units > max_units) return text.substr(0, cut) + "…";
  }
  return text;
}

std::string TemplateFormat::render(const std::vector<const Metric*>& metrics, bool batch) const {
  mst::data ctx;
  if (batch) {
    mst::data list{mst::data::type::list};
    for (const Metric* m : metrics) list.push_back(metric_data(*m));
    ctx.set("metrics", list);
    ctx.set("count", std::to_string(metrics.size()));
  } else if (!metrics.empty()) {
    ctx = metric_data(*metrics.front());
  }
  mst::data vars;
  for (const auto& [k, v] : impl_->vars) vars.set(k, v);
  ctx.set("vars", vars);
  std::string text = impl_->compiled->render(ctx);
  if (impl_->preset == Preset::none) return text;

  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  text = truncate(text, limit(impl_->preset));
  nlohmann::json body;
  auto var = [&](const char* k) -> const std::string* {
    auto it = impl_->vars.find(k);
    return it == impl_->vars.end() ? nullptr : &it->second;
  };
  switch (impl_->preset) {
    case Preset::telegram:
      if (auto* v = var("chat_id")) body["chat_id"] = *v;
      body["text"] = text;
      if (auto* v = var("parse_mode")) body["parse_mode"] = *v;
      if (auto* v = var("message_thread_id")) body["message_thread_id"] = *v;
      body["disable_web_page_preview"] = true;
      break;
    case Preset::slack:
      body["text"] = text;
      if (auto* v = var("username")) body["username"] = *v;
      if (auto* v = var("channel")) body["channel"] = *v;
      break;
    case Preset::discord:
      body["content"] = text;
      if (auto* v = var("username")) body["username"] = *v;
      break;
    case Preset::none: break;
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace routerpulse::webhook
