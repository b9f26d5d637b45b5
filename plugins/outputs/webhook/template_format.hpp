// webhook output, format `template` — request bodies rendered with Mustache
// (https://mustache.github.io/mustache.5.html; the Debian package
// libkainjow-mustache-dev, a header-only C++ implementation) and presets for
// chat services.
//
// What a template sees, per metric (batch: false) or once per batch with the
// metrics in `metrics` (batch: true):
//
//   | name                | value                                                       |
//   |---------------------|-------------------------------------------------------------|
//   | `name`              | measurement                                                 |
//   | `time`, `time_ns`   | RFC 3339 UTC (ms) / nanoseconds since the epoch             |
//   | `tags.<key>`, `fields.<key>` | one tag / field (fields as text)                   |
//   | `tag_list`, `field_list` | lists of `{key, value}`                               |
//   | `is_alert`, `firing`, `resolved` | booleans for `alert` events                  |
//   | `summary`           | one line: alerts `🔥 FIRING name key (severity): message`, `✅ RESOLVED …`; other metrics
//   line protocol without the time | | `vars.<key>`        | the output's template_vars | | batch only: `metrics`,
//   `count` | the list of the above, its length                |
//
// preset `none`: `template` is the whole body; `{{x}}` is escaped for the
// inside of a JSON string (RFC 8259 §7), `{{{x}}}` is inserted as it is.
// Presets render `template` (default: the summaries, one per line) as plain
// text, cut it to the service's limit (counted in UTF-16 units, cut at a
// character boundary, ending in "…") and build the JSON body themselves:
//
//   | preset     | body                                                    | limit | source |
//   |------------|---------------------------------------------------------|-------|--------|
//   | `telegram` | `{"chat_id": vars.chat_id, "text": …}` (+ `parse_mode`, `message_thread_id` from vars) | 4096 | Bot
//   API sendMessage | | `slack`    | `{"text": …}` (+ `username`, `channel` from vars)       | 40000 | chat.postMessage
//   / incoming webhooks | | `discord`  | `{"content": …}` (+ `username` from vars)               | 2000  | Execute
//   Webhook |
//
// Threading: immutable after construction except for render(), which one
// thread at a time may call (the output calls it on its strand).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse::webhook {

enum class Preset { none, telegram, slack, discord };

std::optional<Preset> parse_preset(const std::string& name);

class TemplateFormat {
 public:
  /// `text` empty = the preset's default (an error for preset none).
  /// Throws std::invalid_argument with the parser's message on a bad template.
  TemplateFormat(Preset preset, const std::string& text, std::map<std::string, std::string> vars);
  ~TemplateFormat();

  /// One body for these metrics (`batch` true: all in `metrics`; false: the
  /// first is rendered at the top level).
  std::string render(const std::vector<const Metric*>& metrics, bool batch) const;

  /// The preset's limit in UTF-16 units (0 for none).
  static size_t limit(Preset p);
  /// Cuts `text` to at most `max_units` UTF-16 units ("…" counted).
  static std::string truncate(const std::string& text, size_t max_units);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace routerpulse::webhook
