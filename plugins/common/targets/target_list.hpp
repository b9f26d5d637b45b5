// plugins/common — the list of probe targets of one input: an inline list, a
// targets file (re-read when its modification time or size changes) and a
// PostgreSQL query (target_query.hpp), merged in that order; a target equal
// to an earlier one (same name and tags) is kept once.
//
// A targets file that becomes unreadable or invalid after start-up keeps the
// previous list; the error (file:line:column) is logged once per change.
//
// Threading: every method on `strand`. Keep the object in a std::shared_ptr.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "targets/target_query.hpp"
#include "targets/target_spec.hpp"

namespace routerpulse::targets {

struct TargetListConfig {
  std::vector<TargetSpec> inline_targets;
  std::string file;         ///< absolute path, or empty
  std::string file_option;  ///< e.g. `inputs.icmp.targets_file`, for errors
  std::optional<QueryConfig> query;
  NameRule rule = NameRule::address;  ///< what a file line's first word is (the query's own rule: QueryConfig)
};

class TargetList : public std::enable_shared_from_this<TargetList> {
 public:
  using List = std::shared_ptr<const std::vector<TargetSpec>>;

  /// Reads the file at once: a bad file throws ConfigError (file:line:col).
  TargetList(Strand strand, Clock& clock, std::shared_ptr<spdlog::logger> log, TargetListConfig cfg);
  ~TargetList();

  /// Connects the query, if any.
  void start();
  void stop();

  /// Re-reads the file when it changed (one stat(2) otherwise). Returns
  /// true when the merged list changed.
  bool check_file();
  /// The merged list; a new object whenever it changes.
  const List& current() const noexcept { return merged_; }
  /// Increases on every change of the merged list.
  uint64_t version() const noexcept { return version_; }
  /// Whether the list is complete enough to probe: the query (if any) has
  /// answered at least once.
  bool ready() const noexcept { return !query_ || query_->loads() > 0; }
  /// Called (on the strand) when the list changes because of the query.
  std::function<void()> on_change;
  /// Reloads of the file that failed (bad content or unreadable).
  uint64_t file_errors() const noexcept { return file_errors_; }

 private:
  void rebuild();

  Strand strand_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  TargetListConfig cfg_;
  std::vector<TargetSpec> from_file_, from_query_;
  struct timespec file_mtime_ {};
  off_t file_size_ = -1;
  std::string last_file_error_;
  uint64_t file_errors_ = 0;
  std::shared_ptr<TargetQuery> query_;
  List merged_;
  uint64_t version_ = 0;
};

}  // namespace routerpulse::targets
