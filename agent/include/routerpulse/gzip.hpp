// routerpulse — gzip compression (RFC 1952 framing around raw deflate, RFC 1951)
// for HTTP bodies: the agent's /metrics responses and outputs' request bodies
// (`Content-Encoding: gzip`). Uses Boost.Beast's header-only port of zlib's
// deflate, so nothing else needs linking.
//
// Threading: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace routerpulse {

/// Compresses `data` into one complete gzip member: 10-byte header, deflate
/// data at `level` (1 = fastest … 9 = smallest), CRC-32 and ISIZE trailer.
/// Throws std::runtime_error if the compressor reports an error.
std::string gzip_compress(std::string_view data, int level = 1);

}  // namespace routerpulse
