#include "routerpulse/spread.hpp"

namespace routerpulse {

uint64_t stable_hash(std::string_view key) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  // FNV's low bits mix poorly for short keys that differ in the last byte
  // (r1, r2, …): finish with a 64-bit avalanche (the MurmurHash3 fmix64 step).
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

Duration spread_offset(std::string_view key, Duration window) noexcept {
  if (window.count() <= 0) return Duration::zero();
  // Top 53 bits → [0, 1): exact in a double.
  const double fraction = static_cast<double>(stable_hash(key) >> 11) / static_cast<double>(1ULL << 53);
  return Duration(static_cast<Duration::rep>(fraction * static_cast<double>(window.count())));
}

}  // namespace routerpulse
