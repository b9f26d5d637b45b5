// plugins/common — targets from a PostgreSQL query, refreshed every
// `refresh` and whenever a NOTIFY arrives on `listen` (PostgreSQL 15 LISTEN /
// NOTIFY; the channel is quoted as an identifier).
//
// The query returns a column `address` (an IP address or host name) and any
// number of other columns, each a tag (column name = tag key; NULL or empty
// values are left out). Bad rows are skipped and logged with their row
// number; a failed query keeps the previous list. The connection is the
// shared non-blocking one (pg/pg_connection.hpp); it reconnects with backoff.
//
// Threading: every method on `strand`; callbacks run there. Keep the object
// in a std::shared_ptr.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "pg/pg_connection.hpp"
#include "routerpulse/backoff.hpp"
#include "routerpulse/clock.hpp"
#include "targets/target_spec.hpp"

namespace routerpulse::targets {

struct QueryConfig {
  std::string dsn;     ///< libpq connection string (already checked with pg::parse_dsn)
  std::string sql;     ///< the query
  std::string listen;  ///< NOTIFY channel; empty = none
  Duration refresh = std::chrono::minutes(5);
  Duration connect_timeout = std::chrono::seconds(10);
  std::string option;  ///< option path for messages, e.g. `inputs.icmp.targets_query`
  /// The name column: `address` (NameRule::address) or `device` (NameRule::device).
  NameRule rule = NameRule::address;
};

/// Turns a query result into targets. Returns the targets; `problems` gets
/// one line per skipped row. Throws std::runtime_error when there is no
/// `address` column (`device` with NameRule::device).
std::vector<TargetSpec> targets_from_result(const PGresult* res, std::vector<std::string>& problems,
                                            NameRule rule = NameRule::address);

class TargetQuery : public std::enable_shared_from_this<TargetQuery> {
 public:
  using OnRows = std::function<void(std::vector<TargetSpec>)>;
  TargetQuery(Strand strand, Clock& clock, std::shared_ptr<spdlog::logger> log, QueryConfig cfg, OnRows on_rows);
  ~TargetQuery();

  void start();
  void stop();
  /// Queries run successfully so far.
  uint64_t loads() const noexcept { return loads_; }
  /// Runs the query now (or right after the one in flight).
  void refresh_now();

 private:
  void connect();
  void run();
  void lost(const std::string& why);

  Strand strand_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  QueryConfig cfg_;
  OnRows on_rows_;
  std::shared_ptr<pg::PgConnection> conn_;
  std::unique_ptr<Timer> refresh_timer_;
  std::unique_ptr<Timer> reconnect_timer_;
  Backoff backoff_;
  uint64_t session_ = 0;
  uint64_t loads_ = 0;
  bool running_query_ = false;
  bool rerun_ = false;
  bool stopped_ = false;
};

}  // namespace routerpulse::targets
