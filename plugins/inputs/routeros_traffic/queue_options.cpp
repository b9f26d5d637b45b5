// routeros_traffic — simple-queue settings (see queue_options.hpp).
#include "queue_options.hpp"

#include <filesystem>

namespace routerpulse::routeros_traffic {

namespace {
constexpr std::string_view kUser = "{user}";
}

std::optional<NamePattern> NamePattern::parse(std::string_view text, std::string& why) {
  const size_t at = text.find(kUser);
  if (at == std::string_view::npos) {
    why = "needs {user} where the PPPoE user name stands, e.g. customer-{user}";
    return std::nullopt;
  }
  NamePattern p;
  p.text_ = std::string(text);
  p.prefix_ = std::string(text.substr(0, at));
  p.suffix_ = std::string(text.substr(at + kUser.size()));
  if (p.prefix_.find_first_of("{}") != std::string::npos || p.suffix_.find_first_of("{}") != std::string::npos) {
    why = "may contain {user} only once and no other { or }";
    return std::nullopt;
  }
  return p;
}

std::string_view NamePattern::user_of(std::string_view name) const noexcept {
  if (name.size() <= prefix_.size() + suffix_.size()) return {};
  if (!name.starts_with(prefix_) || !name.ends_with(suffix_)) return {};
  return name.substr(prefix_.size(), name.size() - prefix_.size() - suffix_.size());
}

QueueOptions QueueOptions::read(const Options& o) {
  QueueOptions q;
  YAML::Node n = o.raw("queues");
  if (!n.IsDefined()) n = YAML::Load(o.spec("queues")->default_value);  // the table's default
  const std::string expected = "expected none, pppoe, all or a list of queue-name globs";
  if (n.IsScalar()) {
    const std::string& v = n.Scalar();
    if (v == "none")
      q.mode = QueueMode::none;
    else if (v == "pppoe")
      q.mode = QueueMode::pppoe;
    else if (v == "all")
      q.mode = QueueMode::all;
    else
      throw o.error("queues", expected + ", got \"" + v + "\"");
  } else if (n.IsSequence()) {
    q.mode = QueueMode::globs;
    if (n.size() == 0) throw o.error("queues", "an empty list selects no queue: use `none`");
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string path = "queues[" + std::to_string(i) + "]";
      if (!n[i].IsScalar()) throw o.error_at(n[i], path, "expected a queue-name glob, got " + describe_node(n[i]));
      if (n[i].Scalar().empty()) throw o.error_at(n[i], path, "globs must not be empty");
      q.globs.push_back(n[i].Scalar());
    }
  } else {
    throw o.error("queues", expected + ", got " + describe_node(n));
  }

  const auto patterns = o.strings("queue_name_patterns");
  YAML::Node plist = o.raw("queue_name_patterns");
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string why;
    auto p = NamePattern::parse(patterns[i], why);
    if (!p) {
      const bool seq = plist.IsSequence();
      throw o.error_at(seq ? plist[i] : plist, "queue_name_patterns" + (seq ? "[" + std::to_string(i) + "]" : ""),
                       "\"" + patterns[i] + "\" " + why);
    }
    q.patterns.push_back(std::move(*p));
  }

  q.static_inline = targets::read_inline_targets(o, "static_targets");
  if (auto file = o.optional_str("static_targets_file")) {
    if (file->empty()) throw o.error("static_targets_file", "must not be empty");
    std::filesystem::path p(*file);
    const std::string dir = std::filesystem::path(o.file()).parent_path().string();
    if (p.is_relative() && !dir.empty()) p = std::filesystem::path(dir) / p;
    q.static_file = p.string();
    q.static_file_option = o.path() + ".static_targets_file";
    targets::read_targets_file(q.static_file, q.static_file_option);
  }
  if (q.mode == QueueMode::none && (!q.patterns.empty() || q.has_static())) {
    const std::string what = !q.patterns.empty()       ? "queue_name_patterns"
                             : q.static_inline.empty() ? "static_targets_file"
                                                       : "static_targets";
    throw o.error(what, "is only used with queues (it is `none`)");
  }
  return q;
}

}  // namespace routerpulse::routeros_traffic
