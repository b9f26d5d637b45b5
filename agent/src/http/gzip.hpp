// Internal: gzip for HTTP responses (RFC 1952 framing around raw deflate,
// RFC 1951) and Accept-Encoding negotiation (RFC 9110 §12.5.3).
#pragma once

#include <string>
#include <string_view>

#include "routerpulse/gzip.hpp"  // gzip_compress

namespace routerpulse::http {

/// True when an Accept-Encoding header value allows `gzip` (explicitly with
/// q > 0, or through `*` when gzip is not listed). Empty header → false.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace routerpulse::http
