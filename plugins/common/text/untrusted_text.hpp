// plugins/common — cleaning strings that come from other devices (neighbor
// identities and platforms, MNDP TLVs, SNMP strings) before they become tags.
//
// Such strings are untrusted: RouterOS pads some with NUL bytes (seen in
// `/ip/neighbor` identities, mktxp issue #326), older firmware and SwOS send
// latin-1 rather than UTF-8 (mktxp #201/#218, MndpTray decodes MNDP with code
// page 28591), and anything on the wire may be arbitrarily long.
//
// Rules of clean_untrusted_text (in this order):
//  1. the text is decoded: when it is valid UTF-8 (RFC 3629 §4: no overlong
//     forms, no surrogates, nothing above U+10FFFF) it is taken as it is;
//     otherwise every byte is read as ISO-8859-1 (latin-1) and re-encoded as
//     UTF-8 — each byte maps to the code point of the same value, so the
//     result is always valid UTF-8;
//  2. NUL (U+0000) is removed wherever it is (padding); every other control
//     character (U+0001–U+001F, U+007F, U+0080–U+009F) becomes a space;
//  3. leading and trailing white space (space, and what rule 2 made a space)
//     is trimmed;
//  4. the result is cut to at most `max_bytes` bytes on a code-point boundary
//     (a multi-byte character never gets split). `max_bytes` 0 means no cap.
// The output is valid UTF-8 with no control characters.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace routerpulse::text {

/// Whether `s` is well-formed UTF-8 (RFC 3629 §4).
bool is_valid_utf8(std::string_view s) noexcept;

/// The cleaned text (see the file comment).
std::string clean_untrusted_text(std::string_view raw, size_t max_bytes);

}  // namespace routerpulse::text
