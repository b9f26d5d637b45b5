// webhook output — gzip request bodies (RFC 1952 around RFC 1951 deflate,
// using Boost.Beast's deflate implementation; `Content-Encoding: gzip`).
// Threading: pure function.
#pragma once

#include <string>
#include <string_view>

namespace routerpulse::webhook {

std::string gzip_compress(std::string_view data);

}  // namespace routerpulse::webhook
