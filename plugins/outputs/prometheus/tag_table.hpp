// PtrTable: a flat open-addressing hash table from a pointer to an owned
// value, for SeriesStore's series cache (key: a TagSet's address).
//
// Why not std::unordered_map: a lookup there is two or three dependent cache
// misses (bucket array, node before, node) that cannot be prefetched. Here a
// lookup is one probe into a flat array (linear probing, load ≤ 1/2), and
// prefetch() lets the caller start that miss for metrics further down the
// batch while it works on the current one.
//
// Ownership: the table owns its values (unique_ptr); a value's address is
// stable until it is erased. Keys are not dereferenced. The null pointer is a
// valid key (kept outside the array).
//
// Threading: none; the owner synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace routerpulse::prom {

template <class V>
class PtrTable {
 public:
  PtrTable() : slots_(16), shift_(64 - 4) {}

  size_t size() const noexcept { return size_ + (null_ ? 1 : 0); }

  /// The value of `key`, or nullptr.
  V* find(const void* key) const noexcept {
    if (!key) return null_.get();
    for (size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.value.get();
      if (!s.key) return nullptr;
    }
  }

  /// Starts loading the slot where `key` would be (a hint; no effect on state).
  void prefetch(const void* key) const noexcept {
    if (key) __builtin_prefetch(&slots_[home(key)]);
  }

  /// Inserts `value` for `key`, which must not be present; returns the value.
  V* insert(const void* key, std::unique_ptr<V> value) {
    V* v = value.get();
    if (!key) {
      null_ = std::move(value);
      return v;
    }
    if (2 * (size_ + 1) > slots_.size()) grow();
    size_t i = home(key);
    while (slots_[i].key) i = (i + 1) & mask();
    slots_[i] = Slot{key, std::move(value)};
    ++size_;
    return v;
  }

  /// Removes `key` (and destroys its value) if present.
  void erase(const void* key) {
    if (!key) {
      null_.reset();
      return;
    }
    size_t i = home(key);
    while (slots_[i].key != key) {
      if (!slots_[i].key) return;
      i = (i + 1) & mask();
    }
    slots_[i] = Slot{};
    --size_;
    // Backward-shift deletion: move later members of the probe run into the
    // hole when their home is not between the hole and their slot.
    for (size_t j = (i + 1) & mask(); slots_[j].key; j = (j + 1) & mask()) {
      const size_t h = home(slots_[j].key);
      if (((j - h) & mask()) >= ((j - i) & mask())) {
        slots_[i] = std::move(slots_[j]);
        slots_[j].key = nullptr;
        i = j;
      }
    }
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::unique_ptr<V> value;
  };

  size_t mask() const noexcept { return slots_.size() - 1; }
  size_t home(const void* key) const noexcept {
    // Fibonacci hashing of the address (allocations are 16-byte aligned).
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(key) >> 4) * 0x9E3779B97F4A7C15ull >> shift_);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    --shift_;
    for (auto& s : old) {
      if (!s.key) continue;
      size_t i = home(s.key);
      while (slots_[i].key) i = (i + 1) & mask();
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;  ///< size a power of two
  unsigned shift_;           ///< 64 - log2(slots_.size())
  size_t size_ = 0;          ///< keys in slots_
  std::unique_ptr<V> null_;  ///< the value of the null key
};

}  // namespace routerpulse::prom
