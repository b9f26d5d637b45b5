#include "enrich_cache.hpp"

namespace routerpulse::pg_enrich {

void EnrichCache::put(std::string_view key, EnrichmentPtr value, SteadyTime expires, SteadyTime now) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second = Entry{std::move(value), expires};
    return;
  }
  if (map_.size() >= max_) make_room(now);
  map_.emplace(std::string(key), Entry{std::move(value), expires});
}

bool EnrichCache::erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  map_.erase(it);
  return true;
}

void EnrichCache::make_room(SteadyTime now) {
  const size_t before = map_.size();
  for (auto it = map_.begin(); it != map_.end();) {
    if (!it->second.fresh(now))
      it = map_.erase(it);
    else
      ++it;
  }
  const size_t target = max_ - max_ / 10 - 1;
  while (map_.size() > target && !map_.empty()) map_.erase(map_.begin());
  evictions_ += before - map_.size();
}

}  // namespace routerpulse::pg_enrich
