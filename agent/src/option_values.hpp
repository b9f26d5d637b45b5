// Scalar option values as text: the one place that says which spellings are
// a boolean, an integer, a number or one of a choice list. Used by the
// table-driven validation (option_spec.cpp), the Options accessors
// (config.cpp) and the sample renderer. Core-internal; pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace routerpulse {

/// `true`/`True`/`yes`/`on` or `false`/`False`/`no`/`off`; nullopt otherwise.
std::optional<bool> parse_bool_text(std::string_view s);
/// A whole decimal int64; nullopt for anything else (empty, trailing text, overflow).
std::optional<int64_t> parse_int_text(std::string_view s);
/// A whole finite number (strtod syntax); nullopt for anything else.
std::optional<double> parse_number_text(const std::string& s);
/// Whether `value` is one of `choices` ("a|b|c").
bool is_choice(const char* choices, std::string_view value);
/// `choices` ("a|b|c") for people: "a, b, c".
std::string choices_text(const char* choices);

}  // namespace routerpulse
