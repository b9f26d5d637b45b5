// pg_enrich — turning one result row into the tags and fields to add.
//
// Columns are matched by name (PQfnumber semantics without case folding: the
// name as the query returns it). Values arrive in libpq's text format and are
// converted by the column's type OID (pg_type.dat, PostgreSQL 15):
//   int2/int4/int8 (21/23/20) → int64 field, float4/float8/numeric
//   (700/701/1700) → double field, bool (16, text `t`/`f`) → bool field,
//   anything else → string field. Tags always take the text value.
// SQL NULL leaves the tag or field out. Threading: a plain value type.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "routerpulse/metric.hpp"

namespace routerpulse::pg_enrich {

/// One result column and where it goes.
struct ColumnSpec {
  std::string column;  ///< result column name
  std::string output;  ///< tag or field key on the metric (the rename target)
  bool is_tag = true;  ///< tag (true) or field (false)
};

/// What a known key adds to a metric. Immutable once built; shared by the cache.
///
/// Hot path: the samples of one customer share one TagSet (their session's
/// prototype, metric.hpp), so apply() remembers the last TagSet it enriched
/// and the result, and gives the next metric with that TagSet the same
/// enriched TagSet — a pointer copy instead of copying every tag. The memo
/// holds both sets (so their addresses cannot be reused) and is guarded by
/// its own mutex: apply() is thread-safe.
struct Enrichment {
  std::vector<Tag> tags;
  std::vector<Field> fields;
  /// Sets every tag and field on `m` (replacing keys it already has).
  void apply(Metric& m) const;

 private:
  mutable std::mutex memo_mu_;
  mutable TagSet memo_from_, memo_to_;
};
using EnrichmentPtr = std::shared_ptr<const Enrichment>;

class RowMapper {
 public:
  RowMapper() = default;
  explicit RowMapper(std::vector<ColumnSpec> specs) : specs_(std::move(specs)) {}

  /// Resolves every column against the columns of `shape` (a query result or a
  /// PQdescribePrepared result). Returns the missing column names (empty = ok).
  std::vector<std::string> bind(const PGresult* shape);
  bool bound() const noexcept { return bound_; }

  /// The enrichment for row `row` of `res`, which must have the bound shape.
  EnrichmentPtr map(const PGresult* res, int row) const;

  const std::vector<ColumnSpec>& specs() const noexcept { return specs_; }

 private:
  struct Bound {
    int index;
    Oid type;
  };
  std::vector<ColumnSpec> specs_;
  std::vector<Bound> bound_cols_;
  bool bound_ = false;
};

/// Column names of a result, comma separated (for error messages).
std::string column_list(const PGresult* shape);

}  // namespace routerpulse::pg_enrich
