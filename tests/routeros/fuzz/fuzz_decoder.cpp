// libFuzzer target for the RouterOS API decoder (codec.hpp) and reply parser.
//
// Input: byte 0 picks the chunk size (1..17) used to feed the rest, so the
// fuzzer also explores sentences split at arbitrary boundaries. Checked
// properties (abort on violation):
//  - feeding in chunks yields exactly the sentences (or the error) of feeding
//    everything at once;
//  - the decoder never holds more than max_sentence_bytes + one chunk;
//  - re-encoding the decoded sentences and decoding again is the identity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "routerpulse/routeros/codec.hpp"
#include "routerpulse/routeros/sentence.hpp"

using namespace routerpulse::routeros;

namespace {
using Sentences = std::vector<std::vector<std::string>>;

constexpr DecoderLimits kLimits{4096, 16384, 64};

// Decodes `data` in chunks of `chunk` bytes; returns false on ProtocolError.
bool decode(const char* data, size_t size, size_t chunk, Sentences& out) {
  Decoder d(kLimits);
  try {
    for (size_t pos = 0; pos < size; pos += chunk) {
      const size_t n = std::min(chunk, size - pos);
      d.feed(data + pos, n, [&](std::span<const std::string_view> words) {
        out.emplace_back(words.begin(), words.end());
        try {
          (void)parse_reply(words);
        } catch (const ProtocolError&) {
          // not a reply sentence: fine, the session would close the connection
        }
      });
      if (d.buffered_bytes() > kLimits.max_sentence_bytes + chunk) std::abort();
    }
  } catch (const ProtocolError&) {
    return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* raw, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + raw[0] % 17;
  const char* data = reinterpret_cast<const char*>(raw + 1);
  --size;

  Sentences chunked, whole;
  const bool ok_chunked = decode(data, size, chunk, chunked);
  const bool ok_whole = decode(data, size, size ? size : 1, whole);
  if (ok_chunked != ok_whole) std::abort();
  if (ok_chunked && chunked != whole) std::abort();
  if (!ok_chunked) return 0;

  std::string again;
  for (const auto& s : chunked) append_sentence(again, std::span<const std::string>(s));
  Sentences round;
  if (!decode(again.data(), again.size(), again.size() ? again.size() : 1, round) || round != chunked) std::abort();
  return 0;
}
