// plugins/common text: cleaning untrusted device strings (untrusted_text.hpp).
#include <catch2/catch.hpp>

#include "text/untrusted_text.hpp"

using routerpulse::text::clean_untrusted_text;
using routerpulse::text::is_valid_utf8;

TEST_CASE("valid UTF-8 is kept, NUL padding removed, blanks trimmed", "[common][text]") {
  CHECK(clean_untrusted_text(std::string("core-1\0\0\0\0", 10), 64) == "core-1");
  CHECK(clean_untrusted_text("  Zürich AP  ", 64) == "Zürich AP");
  CHECK(clean_untrusted_text(std::string("a\0b", 3), 64) == "ab");
  CHECK(clean_untrusted_text("", 64).empty());
  CHECK(clean_untrusted_text(std::string(5, '\0'), 64).empty());
}

TEST_CASE("invalid UTF-8 is read as latin-1", "[common][text]") {
  CHECK(clean_untrusted_text("Caf\xE9-AP", 64) == "Caf\xC3\xA9-AP");  // é
  CHECK(clean_untrusted_text("\xC0\xAF", 64) == "\xC3\x80\xC2\xAF");  // overlong '/' → À¯
  const std::string s = clean_untrusted_text("x\xED\xA0\x80y", 64);
  CHECK(is_valid_utf8(s));
  CHECK(s == "x\xC3\xAD\xC2\xA0 y");  // ED → í, A0 → NBSP (kept), 80 → C1 control → space
}

TEST_CASE("control characters become spaces; C1 controls too", "[common][text]") {
  CHECK(clean_untrusted_text("a\tb\nc\x7F"
                             "d",
                             64) == "a b c d");
  CHECK(clean_untrusted_text("a\xC2\x85"
                             "b",
                             64) == "a b");  // U+0085 NEL
  CHECK(clean_untrusted_text("\x1B[31mred", 64) == "[31mred");
}

TEST_CASE("the cap never splits a character", "[common][text]") {
  CHECK(clean_untrusted_text("abcdef", 4) == "abcd");
  CHECK(clean_untrusted_text("ab\xC3\xA9", 3) == "ab");         // é would be cut in half
  CHECK(clean_untrusted_text("a\xF0\x9F\x98\x80z", 4) == "a");  // a 4-byte emoji
  CHECK(clean_untrusted_text("a\xF0\x9F\x98\x80z", 5) == "a\xF0\x9F\x98\x80");
  CHECK(clean_untrusted_text("ab   cd", 4) == "ab");  // no trailing blank after the cut
  CHECK(clean_untrusted_text("abcdef", 0) == "abcdef");
}

TEST_CASE("every byte string comes out valid UTF-8 without controls", "[common][text]") {
  uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    const int len = static_cast<int>(x % 40);
    for (int i = 0; i < len; ++i) {
      x = x * 1103515245u + 12345u;
      in.push_back(static_cast<char>(x >> 16));
    }
    const std::string out = clean_untrusted_text(in, 17);
    REQUIRE(is_valid_utf8(out));
    REQUIRE(out.size() <= 17);
    for (unsigned char c : out) REQUIRE((c >= 0x20 && c != 0x7F));
  }
}
