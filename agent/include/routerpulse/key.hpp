// routerpulse — Key: an interned name (field keys).
//
// Field names repeat in every sample ("download_bits_per_second" is longer
// than std::string's inline buffer, so each copy would allocate). A Key is a
// pointer to one immutable std::string in a process-wide pool: copying it is
// a pointer copy, equality of two Keys is a pointer comparison, and ordering
// is by text.
//
// Ownership: the pool owns every interned text and never frees it, so a Key
// stays valid for the life of the process. Keys are schema, not data: a
// plugin must not build field names from unbounded input (each distinct name
// costs its length once, forever). `routerpulse_metric_keys_interned` is not
// exported; Key::pool_size() reports the count for tests and benchmarks.
//
// Threading: constructing a Key is thread-safe (a per-thread cache in front of
// a mutex-protected pool, so a name seen before by this thread costs one hash
// lookup and no lock); a Key itself is immutable and freely shared.
#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

namespace routerpulse {

class Key {
 public:
  /// The empty key.
  Key() noexcept;
  /// Interns `text` (thread-safe). Implicit so that `m.set_field("x", 1)` works.
  Key(std::string_view text);  // NOLINT(google-explicit-constructor)
  Key(const char* text) : Key(std::string_view(text)) {}          // NOLINT(google-explicit-constructor)
  Key(const std::string& text) : Key(std::string_view(text)) {}  // NOLINT(google-explicit-constructor)

  const std::string& str() const noexcept { return *s_; }
  operator const std::string&() const noexcept { return *s_; }  // NOLINT(google-explicit-constructor)
  operator std::string_view() const noexcept { return *s_; }    // NOLINT(google-explicit-constructor)
  std::string_view view() const noexcept { return *s_; }
  const char* data() const noexcept { return s_->data(); }
  const char* c_str() const noexcept { return s_->c_str(); }
  size_t size() const noexcept { return s_->size(); }
  bool empty() const noexcept { return s_->empty(); }
  char front() const noexcept { return s_->front(); }
  char back() const noexcept { return s_->back(); }

  friend bool operator==(const Key& a, const Key& b) noexcept { return a.s_ == b.s_; }
  friend bool operator==(const Key& a, std::string_view b) noexcept { return *a.s_ == b; }
  friend bool operator==(const Key& a, const char* b) noexcept { return *a.s_ == b; }
  friend bool operator==(const Key& a, const std::string& b) noexcept { return *a.s_ == b; }
  friend std::strong_ordering operator<=>(const Key& a, const Key& b) noexcept {
    return a.s_ == b.s_ ? std::strong_ordering::equal : (*a.s_).compare(*b.s_) <=> 0;
  }
  friend std::string operator+(const std::string& a, const Key& b) { return a + *b.s_; }
  friend std::string operator+(const char* a, const Key& b) { return a + *b.s_; }
  friend std::string operator+(const Key& a, const char* b) { return *a.s_ + b; }

  /// Distinct texts interned so far (tests, benchmarks).
  static size_t pool_size();

 private:
  const std::string* s_;
};

}  // namespace routerpulse
