#include "byte_size.hpp"

#include <charconv>

namespace routerpulse::lua {

std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct U {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr U units[] = {
      {"", 1},           {"B", 1},
      {"k", 1ull << 10}, {"K", 1ull << 10}, {"KiB", 1ull << 10}, {"KB", 1000},        {"kB", 1000},
      {"M", 1ull << 20}, {"MiB", 1ull << 20}, {"MB", 1000000},
      {"G", 1ull << 30}, {"GiB", 1ull << 30}, {"GB", 1000000000},
  };
  for (const auto& u : units) {
    if (unit != u.name) continue;
    if (n > UINT64_MAX / u.factor) return std::nullopt;
    return n * u.factor;
  }
  return std::nullopt;
}

}  // namespace routerpulse::lua
