// routerpulse — parsers for RouterOS value formats found in API replies.
//
// The API returns every value as text. These helpers turn the formats the
// inputs need into numbers. They never throw; they return std::nullopt for
// anything they do not recognise, so a caller can count and skip bad values.
//
// Sources: RouterOS manual pages for /interface, /ppp/active, /system/resource
// (https://help.mikrotik.com/docs/display/ROS/), and values observed on
// RouterOS 6.x/7.x (uptime `1w2d3h4m5s`, `10ms`, older `1d00:05:03` and
// `00:05:03` forms).
//
// Threading: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace routerpulse::routeros {

/// Parses a RouterOS duration into nanoseconds. Accepted forms:
///  - unit sequences `1w2d3h4m5s`, `10ms`, `5s200ms`, `1h`, `500us`, `3ns`
///    (units w, d, h, m, s, ms, us, ns; each unit at most once, any order is
///    accepted but RouterOS writes them largest first; integers only);
///  - a clock part `HH:MM:SS` or `HH:MM:SS.fraction`, optionally preceded by
///    unit parts: `1d00:05:03`, `2w3d04:05:06`, `00:05:03.123`;
///  - `0`, `0s`.
/// Minutes and seconds of a clock part must be < 60. Returns nullopt on
/// anything else (empty, `never`, negative, overflow beyond ~292 years).
std::optional<std::chrono::nanoseconds> parse_ros_duration(std::string_view text) noexcept;

/// The same duration in seconds (double), or nullopt.
std::optional<double> parse_ros_duration_seconds(std::string_view text) noexcept;

/// `true`/`yes` → true, `false`/`no` → false (exact lower-case words, as the
/// API writes them). nullopt otherwise.
std::optional<bool> parse_ros_bool(std::string_view text) noexcept;

/// A plain unsigned integer (`0`, `123456789`), or hexadecimal with `0x`
/// prefix (`0x81000001`, used by `session-id`). No sign, no spaces, no
/// suffixes; nullopt on overflow beyond uint64.
std::optional<uint64_t> parse_ros_uint(std::string_view text) noexcept;

/// A plain signed integer (`-5`, `42`); nullopt on overflow.
std::optional<int64_t> parse_ros_int(std::string_view text) noexcept;

/// A rate or other number as the API reports it: a plain integer or decimal
/// (`123456`, `0.5`). For convenience also the CLI's SI forms with an
/// optional unit: `1.5kbps`, `10Mbps`, `2G`, `300pps` (k=1e3, M=1e6, G=1e9,
/// T=1e12; units bps, pps are ignored). nullopt otherwise.
std::optional<double> parse_ros_number(std::string_view text) noexcept;

/// An `A/B` pair as RouterOS prints the values of `/queue/simple`
/// (RouterOS manual, Queues → Simple: `max-limit`, `limit-at`,
/// `burst-limit`, `burst-threshold`, `rate`, `packet-rate`: "upload/download"
/// from the target's point of view; first = upload, second = download).
template <class T>
struct RosPair {
  T first{};
  T second{};
  bool operator==(const RosPair&) const = default;
};

/// A pair of numbers, each side as parse_ros_number takes it: `10M/50M`,
/// `10000000/50000000`, `512k/2M`, `1.5M/3M`, `0/0` (on a limit: unlimited),
/// `1200bps/48kbps`. Exactly one `/`; both sides present. nullopt otherwise.
std::optional<RosPair<double>> parse_ros_number_pair(std::string_view text) noexcept;

/// A pair of counters, each side as parse_ros_uint takes it (`bytes`,
/// `packets`, `dropped`, `queued-bytes`: `123456/7890`). Exactly one `/`;
/// both sides present; no suffixes (counters are exact). nullopt otherwise.
std::optional<RosPair<uint64_t>> parse_ros_uint_pair(std::string_view text) noexcept;

/// An item id `*1A` (hexadecimal after `*`) → 0x1A. nullopt otherwise.
std::optional<uint64_t> parse_ros_id(std::string_view text) noexcept;

/// Formats nanoseconds the way RouterOS 7 prints uptimes: `1w2d3h4m5s`,
/// sub-second remainders as `ms` (`10ms`, `5s200ms`); `0s` for zero.
/// Used by the simulator and by tests.
std::string format_ros_duration(std::chrono::nanoseconds d);

}  // namespace routerpulse::routeros
