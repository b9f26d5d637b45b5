// routerpulse — the interned key pool (see routerpulse/key.hpp).
#include "routerpulse/key.hpp"

#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace routerpulse {

namespace {

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Pool {
  std::mutex mu;
  // Node-based: an element's address never changes, so Keys may point at it.
  std::unordered_set<std::string, TextHash, std::equal_to<>> texts;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: Keys in static objects may outlive main()
  return *p;
}

const std::string* empty_text() {
  static const std::string* e = [] {
    Pool& p = pool();
    std::lock_guard lock(p.mu);
    return &*p.texts.emplace().first;
  }();
  return e;
}

const std::string* intern(std::string_view text) {
  if (text.empty()) return empty_text();
  // Per-thread front cache: the views point into pooled strings (stable).
  thread_local std::unordered_map<std::string_view, const std::string*, TextHash> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  Pool& p = pool();
  const std::string* s;
  {
    std::lock_guard lock(p.mu);
    auto it = p.texts.find(text);
    if (it == p.texts.end()) it = p.texts.emplace(text).first;
    s = &*it;
  }
  cache.emplace(std::string_view(*s), s);
  return s;
}

}  // namespace

Key::Key() noexcept : s_(empty_text()) {}

Key::Key(std::string_view text) : s_(intern(text)) {}

size_t Key::pool_size() {
  Pool& p = pool();
  std::lock_guard lock(p.mu);
  return p.texts.size();
}

}  // namespace routerpulse
