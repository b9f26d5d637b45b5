// Processor `rename`: renames measurements, tag keys and field keys (the job
// of Telegraf's processors.rename). The rules are applied in the order they
// are listed, to every metric; the batch keeps its size and its order.
// This file is the worked example of docs/WRITING_PLUGINS.md.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routerpulse/plugin.hpp"

namespace routerpulse {
namespace {

/// What a rule renames.
enum class Target { measurement, tag, field };
constexpr std::array<const char*, 3> kTargetNames{"measurement", "tag", "field"};

/// One entry of `replace`: rename `from` to `dest`.
struct Rule {
  Target target;
  std::string from;
  std::string dest;
};

/// Reads and checks `replace`. Pure (it only looks at the options), so
/// validate() and the constructor share it and `routerpulse check` reports
/// exactly what start-up would.
std::vector<Rule> read_rules(const Options& o) {
  const YAML::Node list = o.raw("replace");  // the table already made sure it is a list
  if (list.size() == 0) throw o.error("replace", "needs at least one rename, e.g. [{tag: host, dest: router}]");
  // An Options view per entry gives each error the entry's file:line:col and
  // a path such as processors.rename.replace[2].dest.
  auto file = std::make_shared<const std::string>(o.file());
  std::vector<Rule> rules;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = o.path() + ".replace[" + std::to_string(i) + "]";
    if (!list[i].IsMap())
      throw config_error_at(*file, list[i], path,
                            "expected a map like {tag: host, dest: router}, got " + describe_node(list[i]));
    Options entry(list[i], path, file);
    std::array<std::optional<std::string>, 3> names;
    for (size_t t = 0; t < names.size(); ++t) names[t] = entry.get_optional_string(kTargetNames[t]);
    auto dest = entry.get_optional_string("dest");
    entry.check_unknown();  // `dst:` or `value:` is a typo, not something to ignore

    Rule rule{};
    const char* found = nullptr;  // the target key seen so far
    for (size_t t = 0; t < names.size(); ++t) {
      if (!names[t]) continue;
      if (found) {
        std::string msg = "give only one of measurement, tag or field per entry (this one also has ";
        throw entry.error(kTargetNames[t], msg + found + ")");
      }
      if (names[t]->empty()) throw entry.error(kTargetNames[t], "must not be empty");
      found = kTargetNames[t];
      rule = Rule{static_cast<Target>(t), *names[t], {}};
    }
    if (!found) throw entry.error("", "needs one of measurement, tag or field: the name to rename");
    if (!dest) throw entry.error("", "needs dest: the new name");
    if (dest->empty()) throw entry.error("dest", "must not be empty");
    rule.dest = *dest;
    rules.push_back(std::move(rule));
  }
  return rules;
}

class RenameProcessor final : public Processor {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "replace",
       .type = OptionType::list,
       .doc = "renames in order; each has one of measurement, tag or field (the old name) and dest (the new name)",
       .required = true,
       .example = "[{tag: host, dest: router}]"},
  };

  /// Everything `routerpulse check` needs to know; no side effects.
  static void validate(const Options& o) { read_rules(o); }

  RenameProcessor(const Options& o, PluginContext& ctx) : rules_(read_rules(o)) {
    for (size_t t = 0; t < kTargetNames.size(); ++t)
      renamed_[t] = &ctx.self_metrics.counter("renames_total", "Measurements, tags or fields renamed",
                                              {{"target", kTargetNames[t]}});
  }

  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override {
    std::array<uint64_t, 3> n{};
    for (auto& m : batch)
      for (const auto& r : rules_)
        if (apply(r, m)) ++n[static_cast<size_t>(r.target)];
    for (size_t t = 0; t < n.size(); ++t)
      if (n[t]) renamed_[t]->inc(n[t]);
    next(std::move(batch));
  }

 private:
  /// Renames in place; false when `m` has nothing called `r.from`. An existing
  /// tag or field called `r.dest` is replaced: the renamed one wins.
  static bool apply(const Rule& r, Metric& m) {
    switch (r.target) {
      case Target::measurement:
        if (m.name() != r.from) return false;
        m.set_name(r.dest);
        return true;
      case Target::tag: {
        const std::string* v = m.tag(r.from);
        if (!v) return false;
        std::string value = *v;  // the pointer dies with remove_tag
        m.remove_tag(r.from);
        m.set_tag(r.dest, value);
        return true;
      }
      case Target::field: {
        const FieldValue* v = m.field(r.from);
        if (!v) return false;
        FieldValue value = *v;
        m.remove_field(r.from);
        m.set_field(r.dest, std::move(value));
        return true;
      }
    }
    return false;
  }

  std::vector<Rule> rules_;
  std::array<Counter*, 3> renamed_{};
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(processor, rename, "Renames measurements, tag keys and field keys", routerpulse::RenameProcessor)
