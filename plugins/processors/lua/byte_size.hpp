// processors/lua — byte sizes in options: `67108864`, `64MiB`, `512KiB`,
// `1GiB` (×1024) or `64MB`, `500KB`, `1GB` (×1000); `k`/`M`/`G` alone mean
// KiB/MiB/GiB. Case of the unit matters only for k/K (both accepted).
// Threading: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace routerpulse::lua {

/// The size in bytes, or nullopt for anything else (negative, fractional
/// bytes, unknown unit, overflow).
std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept;

}  // namespace routerpulse::lua
