#include "text/untrusted_text.hpp"

namespace routerpulse::text {
namespace {

/// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629 §4 table).
size_t sequence_length(std::string_view s, size_t i) noexcept {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;  // overlong
    if (b == 0xED) hi = 0x9F;  // surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;  // overlong
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
  }
  return n;
}

void append_code_point(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else {  // latin-1 only: at most U+00FF
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string clean_untrusted_text(std::string_view raw, size_t max_bytes) {
  std::string decoded;
  decoded.reserve(raw.size());
  if (is_valid_utf8(raw)) {
    decoded.assign(raw);
  } else {
    for (char c : raw) append_code_point(decoded, static_cast<unsigned char>(c));
  }
  // Controls: NUL removed, the rest (C0, DEL, C1 as the two bytes C2 80..9F) a space.
  std::string out;
  out.reserve(decoded.size());
  for (size_t i = 0; i < decoded.size(); ++i) {
    const auto b = static_cast<unsigned char>(decoded[i]);
    if (b == 0) continue;
    if (b < 0x20 || b == 0x7F) {
      out.push_back(' ');
    } else if (b == 0xC2 && i + 1 < decoded.size() && static_cast<unsigned char>(decoded[i + 1]) <= 0x9F) {
      out.push_back(' ');
      ++i;
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  size_t begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) return {};
  size_t end = out.find_last_not_of(' ') + 1;
  out = out.substr(begin, end - begin);
  if (max_bytes > 0 && out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    out.resize(cut);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

}  // namespace routerpulse::text
