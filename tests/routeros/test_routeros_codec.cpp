// RouterOS API codec: golden vectors, round trips, arbitrary splits, size caps.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "routerpulse/routeros/codec.hpp"
#include "routerpulse/routeros/sentence.hpp"

using namespace routerpulse::routeros;
using Sentences = std::vector<std::vector<std::string>>;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::string prefix(uint64_t len) {
  std::string s;
  append_length(s, len);
  return s;
}

// Feeds `stream` to a fresh decoder in the given chunk sizes (cycled) and collects sentences.
Sentences decode_chunked(const std::string& stream, const std::vector<size_t>& chunks, DecoderLimits lim = {}) {
  Decoder d(lim);
  Sentences out;
  size_t pos = 0, k = 0;
  while (pos < stream.size()) {
    size_t n = std::min(chunks[k++ % chunks.size()], stream.size() - pos);
    d.feed(stream.data() + pos, n,
           [&](std::span<const std::string_view> words) { out.emplace_back(words.begin(), words.end()); });
    pos += n;
  }
  REQUIRE(d.idle());
  return out;
}

std::string encode_all(const Sentences& ss) {
  std::string out;
  for (const auto& s : ss) append_sentence(out, std::span<const std::string>(s));
  return out;
}

}  // namespace

TEST_CASE("length prefixes: golden bytes at every range boundary", "[codec]") {
  // MikroTik API manual, "API words": 1..5 byte encodings.
  CHECK(prefix(0) == bytes({0x00}));
  CHECK(prefix(1) == bytes({0x01}));
  CHECK(prefix(0x7F) == bytes({0x7F}));
  CHECK(prefix(0x80) == bytes({0x80, 0x80}));
  CHECK(prefix(0x3FFF) == bytes({0xBF, 0xFF}));
  CHECK(prefix(0x4000) == bytes({0xC0, 0x40, 0x00}));
  CHECK(prefix(0x1FFFFF) == bytes({0xDF, 0xFF, 0xFF}));
  CHECK(prefix(0x200000) == bytes({0xE0, 0x20, 0x00, 0x00}));
  CHECK(prefix(0xFFFFFFF) == bytes({0xEF, 0xFF, 0xFF, 0xFF}));
  CHECK(prefix(0x10000000) == bytes({0xF0, 0x10, 0x00, 0x00, 0x00}));
  CHECK(prefix(0xFFFFFFFF) == bytes({0xF0, 0xFF, 0xFF, 0xFF, 0xFF}));
  CHECK(prefix(0x1234) == bytes({0x92, 0x34}));
  CHECK(prefix(0x12345) == bytes({0xC1, 0x23, 0x45}));
  CHECK(prefix(0x1234567) == bytes({0xE1, 0x23, 0x45, 0x67}));
  CHECK(length_prefix_size(0x7F) == 1);
  CHECK(length_prefix_size(0x80) == 2);
  CHECK(length_prefix_size(0x4000) == 3);
  CHECK(length_prefix_size(0x200000) == 4);
  CHECK(length_prefix_size(0x10000000) == 5);
  CHECK_THROWS_AS(length_prefix_size(0x100000000ull), std::length_error);
}

TEST_CASE("documented example sentences encode to the expected bytes", "[codec]") {
  // API manual, "Initial login": /login =name=admin =password=
  std::vector<std::string> login{"/login", "=name=admin", "=password="};
  CHECK(encode_sentence(login) == std::string("\x06/login\x0b=name=admin\x0a=password=\x00", 31));
  // API manual, "Queries": interfaces of type ether or vlan.
  Command q("/interface/print");
  q.query("?type=ether").query("?type=vlan").query("?#|");
  std::string out;
  q.encode(out);
  CHECK(out == std::string("\x10/interface/print\x0b?type=ether\x0a?type=vlan\x03?#|\x00", 45));
  // API manual, "Tags": every reply sentence carries the command's tag.
  Command tagged("/interface/listen");
  CHECK(tagged.words("3") == std::vector<std::string>{"/interface/listen", ".tag=3"});
  // "OID"/proplist example: /interface/print =.proplist=name,type (sent as an API attribute).
  Command p("/interface/print");
  p.proplist({"name", "type"});
  CHECK(p.words() == std::vector<std::string>{"/interface/print", ".proplist=name,type"});
}

TEST_CASE("decoding golden byte streams for each prefix size", "[codec]") {
  const auto sizes = {size_t{1},      size_t{0x7F},     size_t{0x80},    size_t{0x3FFF},
                      size_t{0x4000}, size_t{0x1FFFFF}, size_t{0x200000}};
  DecoderLimits lim;
  lim.max_word_bytes = 0x300000;
  lim.max_sentence_bytes = 0x400000;
  for (size_t n : sizes) {
    std::string word(n, 'x');
    word[0] = '=';
    std::string stream = prefix(n) + word + std::string(1, '\0');
    auto got = decode_chunked(stream, {stream.size()}, lim);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].size() == 1);
    CHECK(got[0][0].size() == n);
  }
  SECTION("non-minimal prefixes are accepted, including the 5-byte 0xF0 form") {
    std::string stream = bytes({0x80, 0x03}) + "!re" + bytes({0xC0, 0x00, 0x05}) + "=a=bc" +
                         bytes({0xE0, 0x00, 0x00, 0x02}) + "xy" + bytes({0xF0, 0x00, 0x00, 0x00, 0x03}) + "end" +
                         bytes({0x00});
    auto got = decode_chunked(stream, {1});
    REQUIRE(got.size() == 1);
    CHECK(got[0] == std::vector<std::string>{"!re", "=a=bc", "xy", "end"});
  }
}

TEST_CASE("a stream split at every byte boundary decodes identically", "[codec]") {
  Sentences ss{{"!re", "=name=ether1", std::string("=comment=") + std::string(200, 'c'), ".tag=7"},
               {"!re", "=big=" + std::string(20000, 'b'), ".tag=7"},
               {"!trap", "=category=2", "=message=interrupted", ".tag=7"},
               {"!done", ".tag=7"},
               {"!fatal", "session terminated on request"}};
  const std::string stream = encode_all(ss);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoder d;
    Sentences out;
    auto collect = [&](std::span<const std::string_view> w) { out.emplace_back(w.begin(), w.end()); };
    d.feed(stream.data(), cut, collect);
    d.feed(stream.data() + cut, stream.size() - cut, collect);
    REQUIRE(out == ss);
  }
  CHECK(decode_chunked(stream, {1}) == ss);
  CHECK(decode_chunked(stream, {2, 3, 5, 7, 11}) == ss);
}

TEST_CASE("round trip: random sentences, random bytes, random chunking", "[codec][property]") {
  std::mt19937_64 rng(20240601);
  const size_t boundaries[] = {1, 2, 0x7F, 0x80, 0x81, 0x3FFF, 0x4000, 0x4001};
  for (int iter = 0; iter < 300; ++iter) {
    Sentences ss(1 + rng() % 4);
    for (auto& s : ss) {
      size_t nwords = 1 + rng() % 6;
      for (size_t w = 0; w < nwords; ++w) {
        size_t len = (rng() % 4 == 0) ? boundaries[rng() % std::size(boundaries)] : 1 + rng() % 40;
        std::string word(len, '\0');
        for (auto& c : word) c = static_cast<char>(rng() & 0xFF);  // bytes, not UTF-8; NUL and '=' included
        s.push_back(std::move(word));
      }
    }
    const std::string stream = encode_all(ss);
    std::vector<size_t> chunks;
    for (int i = 0; i < 8; ++i) chunks.push_back(1 + rng() % 300);
    REQUIRE(decode_chunked(stream, chunks) == ss);
  }
}

TEST_CASE("size caps reject oversized words and sentences before allocating", "[codec][limits]") {
  DecoderLimits lim;
  lim.max_word_bytes = 1024;
  lim.max_sentence_bytes = 4096;
  lim.max_words = 10;
  auto noop = [](std::span<const std::string_view>) {};

  SECTION("a word prefix announcing more than the cap fails at the prefix") {
    Decoder d(lim);
    // Only the 5-byte prefix of a 4 GiB word arrives: the error must come now.
    std::string p = prefix(0xFFFFFFFF);
    CHECK_THROWS_WITH(d.feed(p, noop), Catch::Contains("word of 4294967295 bytes exceeds the limit of 1024"));
    CHECK(d.buffered_bytes() <= p.size());
  }
  SECTION("a sentence growing past the cap fails") {
    Decoder d(lim);
    std::string stream;
    for (int i = 0; i < 5; ++i) append_word(stream, std::string(1000, 'a'));
    CHECK_THROWS_WITH(d.feed(stream, noop), Catch::Contains("sentence exceeds the limit of 4096"));
  }
  SECTION("too many words fail") {
    Decoder d(lim);
    std::string stream;
    for (int i = 0; i < 11; ++i) append_word(stream, "w");
    CHECK_THROWS_WITH(d.feed(stream, noop), Catch::Contains("more than 10 words"));
  }
  SECTION("words exactly at the cap pass") {
    Decoder d(lim);
    std::string stream;
    append_word(stream, std::string(1024, 'a'));
    stream.push_back('\0');
    CHECK(d.feed(stream, noop) == 1);
  }
  SECTION("reserved control bytes 0xF8..0xFF are protocol errors; the decoder stays poisoned until reset") {
    for (int b = 0xF8; b <= 0xFF; ++b) {
      Decoder d(lim);
      CHECK_THROWS_AS(d.feed(bytes({b}), noop), ProtocolError);
      std::string ok;
      append_word(ok, "!done");
      ok.push_back('\0');
      CHECK_THROWS_AS(d.feed(ok, noop), ProtocolError);
      d.reset();
      CHECK(d.feed(ok, noop) == 1);
    }
  }
}

TEST_CASE("reply parsing: attributes, tags, trap, fatal, empty", "[codec][reply]") {
  auto parse = [](std::vector<std::string_view> w) { return parse_reply(std::span<const std::string_view>(w)); };
  auto re = parse({"!re", "=name=a=b", "=comment=", "=.id=*1A", ".tag=42", std::string_view("=x=\xff\x00y", 6)});
  CHECK(re.type == ReplyType::re);
  CHECK(re.tag == "42");
  CHECK(*re.get("name") == "a=b");
  CHECK(*re.get("comment") == "");
  CHECK(*re.get(".id") == "*1A");
  CHECK(re.get("missing") == nullptr);
  CHECK(re.get_or("missing", "d") == "d");
  CHECK(*re.get("x") == std::string("\xff\x00y", 3));

  auto trap = parse({"!trap", "=category=2", "=message=interrupted", ".tag=5"});
  CHECK(trap.type == ReplyType::trap);
  CHECK(trap.category() == 2);
  CHECK(trap.message() == "interrupted");

  auto fatal = parse({"!fatal", "session terminated on request"});
  CHECK(fatal.type == ReplyType::fatal);
  CHECK(fatal.message() == "session terminated on request");

  CHECK(parse({"!empty", ".tag=3"}).type == ReplyType::empty);
  CHECK(parse({"!done", "=ret=abc"}).get_or("ret") == "abc");
  CHECK_THROWS_AS(parse({"!bogus"}), ProtocolError);
  CHECK_THROWS_AS(parse({}), ProtocolError);
}

TEST_CASE("commands: word order, validation, encoding", "[codec][command]") {
  Command c("/interface/monitor-traffic");
  c.attr("interface", "ether1,<pppoe-user0001>").attr("once").proplist({"name", "rx-bits-per-second"});
  c.query("?name=ether1");
  auto w = c.words("9");
  CHECK(w == std::vector<std::string>{"/interface/monitor-traffic", "=interface=ether1,<pppoe-user0001>",
                                      "=once=", ".proplist=name,rx-bits-per-second", "?name=ether1", ".tag=9"});
  std::string enc;
  c.encode(enc, "9");
  CHECK(enc == encode_sentence(w));
  CHECK(c.to_string().find("=once=") != std::string::npos);
  CHECK_THROWS_AS(Command("interface/print"), std::invalid_argument);
  CHECK_THROWS_AS(Command("/x").query("name=1"), std::invalid_argument);
  CHECK_THROWS_AS(Command("/x").attr(""), std::invalid_argument);
  std::vector<std::string> bad{"/x", ""};
  CHECK_THROWS_AS(encode_sentence(bad), std::invalid_argument);
}
