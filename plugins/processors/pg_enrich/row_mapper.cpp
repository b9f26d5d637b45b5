#include "row_mapper.hpp"

#include <charconv>
#include <cstdlib>

namespace routerpulse::pg_enrich {

namespace {

// Type OIDs from PostgreSQL's catalog (src/include/catalog/pg_type.dat).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

FieldValue convert(const char* text, int len, Oid type) {
  switch (type) {
    case kBool: return len > 0 && text[0] == 't';
    case kInt2:
    case kInt4:
    case kInt8: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text, text + len, v);
      if (ec == std::errc() && p == text + len) return v;
      break;
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: {
      char* end = nullptr;
      double v = std::strtod(text, &end);  // text is NUL-terminated by libpq
      if (end == text + len) return v;
      break;
    }
    default: break;
  }
  return std::string(text, static_cast<size_t>(len));
}

}  // namespace

void Enrichment::apply(Metric& m) const {
  if (!tags.empty()) {
    std::lock_guard lock(memo_mu_);
    const TagSet& from = m.tag_set();
    if (from && from == memo_from_) {
      m.set_tag_set(memo_to_);
    } else {
      TagSet src = from;  // the metric's set changes below
      for (const auto& t : tags) m.set_tag(t.key, t.value);
      if (src) {
        memo_from_ = std::move(src);
        memo_to_ = m.tag_set();
      }
    }
  }
  m.reserve(0, m.fields().size() + fields.size());
  for (const auto& f : fields) m.set_field(f.key, f.value);
}

std::vector<std::string> RowMapper::bind(const PGresult* shape) {
  std::vector<std::string> missing;
  bound_cols_.clear();
  const int n = PQnfields(shape);
  for (const auto& s : specs_) {
    int found = -1;
    for (int i = 0; i < n && found < 0; ++i)
      if (s.column == PQfname(shape, i)) found = i;
    if (found < 0) {
      missing.push_back(s.column);
      continue;
    }
    bound_cols_.push_back({found, PQftype(shape, found)});
  }
  bound_ = missing.empty();
  return missing;
}

EnrichmentPtr RowMapper::map(const PGresult* res, int row) const {
  auto e = std::make_shared<Enrichment>();
  for (size_t k = 0; k < specs_.size() && k < bound_cols_.size(); ++k) {
    const auto& b = bound_cols_[k];
    if (PQgetisnull(res, row, b.index)) continue;
    const char* text = PQgetvalue(res, row, b.index);
    int len = PQgetlength(res, row, b.index);
    if (specs_[k].is_tag)
      e->tags.push_back(Tag{specs_[k].output, std::string(text, static_cast<size_t>(len))});
    else
      e->fields.push_back(Field{specs_[k].output, convert(text, len, b.type)});
  }
  return e;
}

std::string column_list(const PGresult* shape) {
  std::string out;
  for (int i = 0; i < PQnfields(shape); ++i) {
    if (i) out += ", ";
    out += PQfname(shape, i);
  }
  return out.empty() ? std::string("(no columns)") : out;
}

}  // namespace routerpulse::pg_enrich
