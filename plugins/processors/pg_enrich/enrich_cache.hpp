// pg_enrich — the in-memory key → enrichment cache.
//
// An entry is positive (the key's enrichment) or negative (the database has no
// row for the key), and carries an expiry on the component's steady clock
// (PluginContext::clock; callers pass `now`, so tests use a ManualClock).
// Expired entries stay readable ("stale") so the processor can fall back to
// them while PostgreSQL is unreachable; they are replaced by the next answer,
// removed by erase()/clear() (NOTIFY invalidation) or evicted when the cache
// is full.
// Eviction: when `max_entries` is reached, expired entries are dropped first,
// then arbitrary entries until the cache is at 90% of `max_entries`.
// Threading: not synchronised; used on the processor's strand only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "routerpulse/clock.hpp"
#include "row_mapper.hpp"

namespace routerpulse::pg_enrich {

class EnrichCache {
 public:
  struct Entry {
    EnrichmentPtr value;  ///< nullptr: negative entry (key not in the database)
    SteadyTime expires;
    bool fresh(SteadyTime now) const noexcept { return now < expires; }
  };

  /// `max_entries` >= 1.
  explicit EnrichCache(size_t max_entries) : max_(max_entries ? max_entries : 1) {}

  /// The entry for `key`, fresh or stale; nullptr when absent. Valid until the
  /// next put/erase/clear.
  const Entry* find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  /// Inserts or replaces; may evict (see above; `now` tells expired entries).
  void put(std::string_view key, EnrichmentPtr value, SteadyTime expires, SteadyTime now);
  /// Removes one key; returns whether it was present.
  bool erase(std::string_view key);
  void clear() { map_.clear(); }
  size_t size() const noexcept { return map_.size(); }
  /// Entries removed to make room so far.
  uint64_t evictions() const noexcept { return evictions_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  void make_room(SteadyTime now);

  size_t max_;
  uint64_t evictions_ = 0;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
};

}  // namespace routerpulse::pg_enrich
