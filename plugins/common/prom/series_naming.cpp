#include "prom/series_naming.hpp"

#include <type_traits>

#include "routerpulse/exposition.hpp"

namespace routerpulse::prom {
namespace {

static_assert(std::is_same_v<std::variant_alternative_t<0, FieldValue>, int64_t> &&
                  std::is_same_v<std::variant_alternative_t<1, FieldValue>, uint64_t> &&
                  std::is_same_v<std::variant_alternative_t<2, FieldValue>, double> &&
                  std::is_same_v<std::variant_alternative_t<3, FieldValue>, bool> &&
                  std::is_same_v<std::variant_alternative_t<4, FieldValue>, std::string>,
              "to_sample() switches on the FieldValue alternatives in this order");

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct UnitRewrite {
  std::string_view suffix;  ///< last `_`-separated token of the field name
  std::string_view base;    ///< replacement token
  double factor;            ///< value multiplier to reach the base unit
};

// promtool's "abbreviated units" lint names these tokens; only unambiguous ones
// are rewritten (`m` could be minutes or metres, `kb` 1000 or 1024 bytes).
constexpr UnitRewrite kUnitRewrites[] = {
    {"ns", "seconds", 1e-9}, {"us", "seconds", 1e-6}, {"ms", "seconds", 1e-3},
    {"s", "seconds", 1},     {"sec", "seconds", 1},   {"secs", "seconds", 1},
    {"h", "seconds", 3600},  {"d", "seconds", 86400}, {"b", "bytes", 1},
};

}  // namespace

const char* type_name(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::untyped: break;
  }
  return "untyped";
}

double append_series_name(std::string& out, std::string_view metric, std::string_view field, MetricType type,
                          bool base_units) {
  const size_t start = out.size();
  exposition::append_metric_name(out, metric);
  out.push_back('_');
  const UnitRewrite* rw = nullptr;
  const auto us = field.rfind('_');
  if (base_units && us != std::string_view::npos) {
    for (const auto& r : kUnitRewrites)
      if (field.substr(us + 1) == r.suffix) rw = &r;
  }
  if (rw) {
    exposition::append_metric_name(out, field.substr(0, us + 1), false);
    out += rw->base;
  } else {
    exposition::append_metric_name(out, field, false);
  }
  if (type == MetricType::counter && !ends_with(std::string_view(out).substr(start), "_total")) out += "_total";
  return rw ? rw->factor : 1;
}

void labels_of(std::vector<Label>& out, const TagList& tags) {
  out.clear();
  std::string name;
  for (const auto& t : tags) {
    if (t.value.empty()) continue;  // an empty label value is the same as no label in Prometheus
    name.clear();
    exposition::append_label_name(name, t.key);
    bool duplicate = false;  // two tag keys that sanitize alike ("a-b", "a_b"): keep the first
    for (const auto& l : out) duplicate = duplicate || l.name == name;
    if (!duplicate) out.push_back(Label{name, t.value});
  }
}

void append_labels(std::string& b, const TagList& tags) {
  std::vector<Label> labels;  // a cache miss only: not worth a reusable buffer
  labels_of(labels, tags);
  for (size_t i = 0; i < labels.size(); ++i) {
    b.push_back(i == 0 ? '{' : ',');
    b += labels[i].name;
    b += "=\"";
    exposition::append_label_value(b, labels[i].value);
    b.push_back('"');
  }
  if (!labels.empty()) b.push_back('}');
}

}  // namespace routerpulse::prom
