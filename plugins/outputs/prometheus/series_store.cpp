#include "series_store.hpp"

#include <optional>
#include <type_traits>

#include "routerpulse/exposition.hpp"

namespace routerpulse::prom {
namespace {

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::untyped: break;
  }
  return "untyped";
}

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

/// The one FieldValue → sample conversion: integers stay exact, bool is 1/0,
/// a string is not a sample (nullopt).
std::optional<Sample> to_sample(const FieldValue& v) noexcept {
  return std::visit(
      [](const auto& x) -> std::optional<Sample> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return std::nullopt;
        else if constexpr (std::is_same_v<T, bool>)
          return Sample{int64_t{x ? 1 : 0}};
        else
          return Sample{x};
      },
      v);
}

/// `s` in another unit (a base-unit rewrite); a scaled sample is a double.
Sample scaled(const Sample& s, double factor) noexcept {
  if (factor == 1) return s;
  return std::visit([](auto x) { return static_cast<double>(x); }, s) * factor;
}

}  // namespace

SeriesStore::SeriesStore(StoreOptions options) : opt_(options) {}

double SeriesStore::build_name(const Metric& m, std::string_view field) {
  name_buf_.clear();
  exposition::append_metric_name(name_buf_, m.name());
  name_buf_.push_back('_');
  const UnitRewrite* rw = nullptr;
  const auto us = field.rfind('_');
  if (opt_.base_units && us != std::string_view::npos) {
    for (const auto& r : kUnitRewrites)
      if (field.substr(us + 1) == r.suffix) rw = &r;
  }
  if (rw) {
    exposition::append_metric_name(name_buf_, field.substr(0, us + 1), false);
    name_buf_ += rw->base;
  } else {
    exposition::append_metric_name(name_buf_, field, false);
  }
  if (m.type() == MetricType::counter && !ends_with(name_buf_, "_total")) name_buf_ += "_total";
  return rw ? rw->factor : 1;
}

void SeriesStore::render_labels(const Metric& m) {
  auto& b = labels_buf_;
  b.clear();
  label_names_.clear();
  for (const auto& t : m.tags()) {
    if (t.value.empty()) continue;  // an empty label value is the same as no label in Prometheus
    const size_t mark = b.size();
    b.push_back(b.empty() ? '{' : ',');
    const size_t name_at = b.size();
    exposition::append_label_name(b, t.key);
    const std::string_view name(b.data() + name_at, b.size() - name_at);
    bool duplicate = false;  // two tag keys that sanitize alike ("a-b", "a_b"): keep the first
    for (auto [at, len] : label_names_) duplicate = duplicate || std::string_view(b.data() + at, len) == name;
    if (duplicate) {
      b.resize(mark);
      continue;
    }
    label_names_.emplace_back(name_at, name.size());
    b += "=\"";
    exposition::append_label_value(b, t.value);
    b.push_back('"');
  }
  if (!b.empty()) b.push_back('}');
}

UpdateStats SeriesStore::update(const BatchView& batch, SteadyTime now) {
  UpdateStats st;
  std::lock_guard lk(mu_);
  for (const auto& m : batch) {
    render_labels(m);
    for (const auto& f : m.fields()) {
      auto sample = to_sample(f.value);
      if (!sample) {
        ++st.string_fields;
        continue;
      }
      const Sample v = scaled(*sample, build_name(m, f.key));

      auto fam = families_.find(std::string_view(name_buf_));
      if (fam == families_.end()) {
        Family nf{"Field " + f.key + " of metric " + m.name() + " (routerpulse).", type_name(m.type()), {}};
        fam = families_.emplace(name_buf_, std::move(nf)).first;
      }
      auto& series = fam->second.series;
      auto s = series.find(std::string_view(labels_buf_));
      if (s == series.end()) {
        series.emplace(labels_buf_, Series{v, now});
        ++size_;
      } else {
        s->second.value = v;
        s->second.updated = now;
      }
      ++st.samples;
    }
  }
  return st;
}

size_t SeriesStore::expire(SteadyTime now) {
  std::lock_guard lk(mu_);
  if (opt_.expire_after <= Duration::zero()) return 0;
  const auto cutoff = now - std::chrono::duration_cast<SteadyTime::duration>(opt_.expire_after);
  size_t dropped = 0;
  for (auto fam = families_.begin(); fam != families_.end();) {
    auto& series = fam->second.series;
    for (auto s = series.begin(); s != series.end();) {
      if (s->second.updated < cutoff) {
        s = series.erase(s);
        ++dropped;
      } else {
        ++s;
      }
    }
    fam = series.empty() ? families_.erase(fam) : std::next(fam);
  }
  size_ -= dropped;
  return dropped;
}

void SeriesStore::write(std::string& out) const {
  std::lock_guard lk(mu_);
  for (const auto& [name, fam] : families_) {
    exposition::append_family_header(out, name, fam.help, fam.type);
    for (const auto& [labels, s] : fam.series) {
      out += name;
      out += labels;
      out.push_back(' ');
      std::visit([&out](auto v) { exposition::append_value(out, v); }, s.value);
      out.push_back('\n');
    }
  }
}

size_t SeriesStore::size() const {
  std::lock_guard lk(mu_);
  return size_;
}

}  // namespace routerpulse::prom
