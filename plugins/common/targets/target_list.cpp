#include "targets/target_list.hpp"

#include <cerrno>
#include <cstring>

namespace routerpulse::targets {

TargetList::TargetList(Strand strand, Clock& clock, std::shared_ptr<spdlog::logger> log, TargetListConfig cfg)
    : strand_(std::move(strand)), clock_(clock), log_(std::move(log)), cfg_(std::move(cfg)) {
  if (!cfg_.file.empty()) {
    struct stat st {};
    if (::stat(cfg_.file.c_str(), &st) == 0) {
      file_mtime_ = st.st_mtim;
      file_size_ = st.st_size;
    }
    from_file_ = read_targets_file(cfg_.file, cfg_.file_option, cfg_.rule);
  }
  rebuild();
}

TargetList::~TargetList() {
  if (query_) query_->stop();
}

void TargetList::start() {
  if (!cfg_.query || query_) return;
  std::weak_ptr<TargetList> w = weak_from_this();
  query_ = std::make_shared<TargetQuery>(strand_, clock_, log_, *cfg_.query, [w](std::vector<TargetSpec> rows) {
    auto self = w.lock();
    if (!self) return;
    if (rows == self->from_query_) return;
    self->log_->info("{}: {} targets", self->cfg_.query->option, rows.size());
    self->from_query_ = std::move(rows);
    self->rebuild();
    if (self->on_change) self->on_change();
  });
  query_->start();
}

void TargetList::stop() {
  if (query_) query_->stop();
}

bool TargetList::check_file() {
  if (cfg_.file.empty()) return false;
  struct stat st {};
  if (::stat(cfg_.file.c_str(), &st) != 0) {
    std::string e = cfg_.file + ": " + std::strerror(errno);
    if (e != last_file_error_) {
      ++file_errors_;
      log_->error("{}: cannot read targets file {}; keeping the previous {} targets", cfg_.file_option, e,
                  from_file_.size());
      last_file_error_ = e;
    }
    return false;
  }
  if (st.st_mtim.tv_sec == file_mtime_.tv_sec && st.st_mtim.tv_nsec == file_mtime_.tv_nsec && st.st_size == file_size_)
    return false;
  file_mtime_ = st.st_mtim;
  file_size_ = st.st_size;
  try {
    auto list = read_targets_file(cfg_.file, cfg_.file_option, cfg_.rule);
    last_file_error_.clear();
    if (list == from_file_) return false;
    log_->info("{}: reloaded {} ({} targets)", cfg_.file_option, cfg_.file, list.size());
    from_file_ = std::move(list);
    rebuild();
    return true;
  } catch (const ConfigError& e) {
    ++file_errors_;
    last_file_error_ = e.what();
    log_->error("{}; keeping the previous {} targets", e.what(), from_file_.size());
    return false;
  }
}

void TargetList::rebuild() {
  auto all = std::make_shared<std::vector<TargetSpec>>(cfg_.inline_targets);
  merge_targets(*all, from_file_);
  merge_targets(*all, from_query_);
  merged_ = std::move(all);
  ++version_;
}

}  // namespace routerpulse::targets
