#include "alertmanager.hpp"

#include <time.h>

#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "field_text.hpp"
#include "routerpulse/format.hpp"

namespace routerpulse::webhook {

std::string AlertBook::rfc3339(int64_t ns) {
  const int64_t s = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
  const int ms = static_cast<int>((ns - s * 1000000000) / 1000000);
  time_t t = static_cast<time_t>(s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string AlertBook::label_name(const std::string& key) {
  std::string out = key.empty() ? "_" : key;
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    const bool ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok || c > 0x7f) out[i] = '_';
  }
  return out;
}

size_t AlertBook::firing() const noexcept {
  size_t n = 0;
  for (const auto& [k, a] : alerts_) n += a.resolved_ns == 0;
  return n;
}

void AlertBook::append(std::string& out, const Alert& a, int64_t now_ns) const {
  nlohmann::json j;
  j["labels"] = a.labels;
  j["annotations"] = a.annotations;
  j["startsAt"] = rfc3339(a.starts_ns);
  const int64_t valid_ns = static_cast<int64_t>(4 * resend_.count());
  j["endsAt"] = rfc3339(a.resolved_ns ? a.resolved_ns : now_ns + valid_ns);
  if (!generator_url_.empty()) j["generatorURL"] = generator_url_;
  if (out.size() > 1) out.push_back(',');
  out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AlertBook::apply(const BatchView& batch, int64_t now_ns, size_t& ignored) {
  std::string out = "[";
  for (const Metric& m : batch) {
    if (m.name() != "alert") {
      ++ignored;
      continue;
    }
    Alert a;
    for (const Tag& t : m.tags())
      if (!t.value.empty()) a.labels[label_name(t.key)] = t.value;
    if (a.labels.empty()) {
      ++ignored;  // Alertmanager refuses an alert without labels (HTTP 400)
      continue;
    }
    bool resolved = false;
    a.starts_ns = m.time();
    for (const Field& f : m.fields()) {
      const std::string& k = f.key.str();
      if (k == "status") {
        const auto* s = std::get_if<std::string>(&f.value);
        resolved = s && *s == "resolved";
      } else if (k == "started_at") {
        if (const auto* v = std::get_if<int64_t>(&f.value)) a.starts_ns = *v;
      } else if (k == "message") {
        a.annotations["summary"] = field_text(f.value);
      } else {
        a.annotations[k] = field_text(f.value);
      }
    }
    if (resolved) a.resolved_ns = m.time() ? m.time() : now_ns;
    std::string key;
    for (const auto& [k, v] : a.labels) key.append(k).append("\x1f").append(v).append("\x1e");
    append(out, a, now_ns);
    alerts_[key] = std::move(a);
  }
  if (out.size() == 1) return {};
  out.push_back(']');
  return out;
}

std::string AlertBook::resend(int64_t now_ns) {
  std::string out = "[";
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    const Alert& a = it->second;
    if (a.resolved_ns && now_ns - a.resolved_ns > retention_.count()) {
      it = alerts_.erase(it);
      continue;
    }
    append(out, a, now_ns);
    ++it;
  }
  if (out.size() == 1) return {};
  out.push_back(']');
  return out;
}

}  // namespace routerpulse::webhook
