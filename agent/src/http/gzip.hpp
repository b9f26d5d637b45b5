// Internal: gzip for HTTP responses (RFC 1952 framing around raw deflate,
// RFC 1951) and Accept-Encoding negotiation (RFC 9110 §12.5.3).
#pragma once

#include <string>
#include <string_view>

namespace routerpulse::http {

/// True when an Accept-Encoding header value allows `gzip` (explicitly with
/// q > 0, or through `*` when gzip is not listed). Empty header → false.
bool accepts_gzip(std::string_view accept_encoding);

/// Compresses `data` into a complete gzip member (10-byte header, deflate
/// data at speed-oriented level 1, CRC-32 and ISIZE trailer). Uses Boost.Beast's
/// header-only port of zlib's deflate, so the core needs no extra library.
/// Throws std::runtime_error if the compressor reports an error.
std::string gzip_compress(std::string_view data);

}  // namespace routerpulse::http
