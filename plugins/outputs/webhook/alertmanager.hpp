// webhook output, format `alertmanager` — the lua processor's `alert` events
// (plugins/processors/lua/README.md, "Alerts") pushed to Prometheus
// Alertmanager's API v2 (`POST /api/v2/alerts`, api/v2/openapi.yaml
// `postableAlerts`; docs/alerts_api.md "Expectations from clients").
//
// Mapping of one `alert` metric to one postableAlert:
//   labels       every tag (alertname, severity, key, the rule's labels, host…);
//                names made valid ([a-zA-Z_][a-zA-Z0-9_]*, others → '_'),
//                empty values left out
//   annotations  `message` → `summary`; every other field except `status` and
//                `started_at` under its own name (`value`, `reason`, the
//                rule's annotations), numbers as text
//   startsAt     `started_at` (ns), else the metric's time — always sent
//                (Alertmanager otherwise takes startsAt = endsAt)
//   endsAt       firing: now + 4 × resend_interval (Prometheus' ValidUntil, so
//                a dead agent's alerts expire); resolved: the event's time
//   generatorURL the configured generator_url (when set)
//
// The book remembers what it sent, by label set (Alertmanager's fingerprint):
// firing alerts are sent again every resend_interval, resolved ones too until
// `resolved_retention` has passed after the resolve (Alertmanager may have
// restarted and lost them), then forgotten. A resend always carries the full
// alert (annotations and generatorURL included: the newest copy wins).
//
// Threading: not synchronised; the output uses it on its strand.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "routerpulse/batch_view.hpp"
#include "routerpulse/config.hpp"

namespace routerpulse::webhook {

class AlertBook {
 public:
  AlertBook(Duration resend_interval, Duration resolved_retention, std::string generator_url)
      : resend_(resend_interval), retention_(resolved_retention), generator_url_(std::move(generator_url)) {}

  /// Records the batch's `alert` metrics and returns the JSON array to POST
  /// for them (empty when the batch holds no alert). `ignored` counts the
  /// other metrics.
  std::string apply(const BatchView& batch, int64_t now_ns, size_t& ignored);
  /// The JSON array re-sending every firing alert and every resolved one
  /// still within resolved_retention (older ones are forgotten first); empty
  /// when there is nothing to send.
  std::string resend(int64_t now_ns);

  size_t firing() const noexcept;
  size_t size() const noexcept { return alerts_.size(); }

  /// RFC 3339 UTC with milliseconds, e.g. `2024-05-01T10:00:00.250Z`.
  static std::string rfc3339(int64_t ns);
  /// A valid Prometheus label name for `key` (invalid characters → '_').
  static std::string label_name(const std::string& key);

 private:
  struct Alert {
    std::map<std::string, std::string> labels, annotations;
    int64_t starts_ns = 0;
    int64_t resolved_ns = 0;  ///< 0 while firing
  };
  void append(std::string& out, const Alert& a, int64_t now_ns) const;

  Duration resend_, retention_;
  std::string generator_url_;
  std::map<std::string, Alert> alerts_;  // key: the label set
};

}  // namespace routerpulse::webhook
