// routerpulse — RouterOS API wire codec: words, sentences, length prefixes.
//
// Protocol source: MikroTik "API" manual, sections "Protocol", "API sentences"
// and "API words" (https://help.mikrotik.com/docs/display/ROS/API). A sentence
// is a sequence of words ended by a zero-length word. Every word is a length
// prefix followed by that many bytes. The prefix takes 1–5 bytes:
//
//   length < 0x80          1 byte   len
//   length < 0x4000        2 bytes  len | 0x8000
//   length < 0x200000      3 bytes  len | 0xC00000
//   length < 0x10000000    4 bytes  len | 0xE0000000
//   otherwise              5 bytes  0xF0, then len as 4 bytes (big endian)
//
// First bytes 0xF8..0xFF are reserved control bytes; a decoder treats them as a
// protocol error. Words are bytes, not necessarily UTF-8.
//
// The decoder accepts non-minimal prefixes (e.g. a 2-byte prefix for length 5),
// as RouterOS and other clients do; the encoder always writes minimal prefixes.
//
// Threading: the free functions are pure; a Decoder is not synchronised and is
// used by one strand at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace routerpulse::routeros {

/// A violation of the wire format: reserved control byte, a word or sentence
/// over the configured cap, too many words. The connection that produced it
/// cannot be resynchronised and must be closed. what() is user-facing text.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Largest word length the 5-byte prefix can carry (2^32 - 1 bytes).
inline constexpr uint64_t kMaxEncodableWord = 0xFFFFFFFFull;

/// Number of bytes of the length prefix for a word of `len` bytes (1..5).
/// Throws std::length_error when len > kMaxEncodableWord.
size_t length_prefix_size(uint64_t len);

/// Appends the minimal length prefix for `len` to `out`.
/// Throws std::length_error when len > kMaxEncodableWord.
void append_length(std::string& out, uint64_t len);

/// Appends one word (prefix + bytes). An empty `word` appends the single
/// zero byte that ends a sentence.
void append_word(std::string& out, std::string_view word);

/// Appends a whole sentence: every word, then the terminating empty word.
/// `words` must not contain empty words (an empty word would end the sentence
/// early); throws std::invalid_argument if one does.
void append_sentence(std::string& out, std::span<const std::string> words);
void append_sentence(std::string& out, std::span<const std::string_view> words);

/// Convenience: the encoded bytes of one sentence.
std::string encode_sentence(std::span<const std::string> words);

/// Size caps for the decoder. A length prefix announcing more than
/// `max_word_bytes`, a sentence growing past `max_sentence_bytes` (sum of word
/// lengths plus prefixes) or holding more than `max_words` words is rejected
/// with ProtocolError *before* anything is allocated for it, so a hostile or
/// broken peer can never make the decoder allocate without bound.
struct DecoderLimits {
  size_t max_word_bytes = 1u << 20;      ///< 1 MiB per word
  size_t max_sentence_bytes = 8u << 20;  ///< 8 MiB per sentence, prefixes included
  size_t max_words = 65536;              ///< words per sentence
};

/// Incremental sentence decoder for a TCP byte stream. Bytes may arrive split
/// at any boundary (inside a prefix, inside a word, between sentences); the
/// decoder keeps the incomplete tail and resumes where it stopped, so feeding
/// the same stream in any chunking yields the same sentences.
///
/// Usage:
///   Decoder d;
///   d.feed(buf, n, [](std::span<const std::string_view> words) { ... });
///
/// The span and the views point into the decoder's buffer or into the bytes
/// just fed; they are valid only during the callback (copy what you keep).
/// Words never include the terminating empty word. The callback must not call
/// feed() or reset() on the same decoder. After a ProtocolError the
/// decoder is poisoned: every later feed() throws the same error until reset().
class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});

  /// Consumes `n` bytes and calls `on_sentence` for every sentence completed
  /// by them, in stream order. Returns the number of sentences delivered.
  /// Throws ProtocolError (see DecoderLimits; reserved control byte). An
  /// exception thrown by `on_sentence` propagates; the sentence is consumed.
  template <class F>
  size_t feed(const char* data, size_t n, F&& on_sentence) {
    size_t count = 0;
    begin_feed(data, n);
    end_feed_guard end{*this};
    while (next_sentence()) {
      ++count;
      finish_sentence_guard guard{*this};
      on_sentence(std::span<const std::string_view>(views_.data(), views_.size()));
    }
    return count;
  }
  size_t feed(std::string_view bytes, auto&& on_sentence) { return feed(bytes.data(), bytes.size(), on_sentence); }

  /// Bytes held for an incomplete sentence (0 between sentences).
  size_t buffered_bytes() const noexcept;
  /// True when no partial sentence is held.
  bool idle() const noexcept { return buffered_bytes() == 0; }
  /// Forgets any partial sentence and clears a poisoned state (new connection).
  void reset();
  const DecoderLimits& limits() const noexcept { return limits_; }

 private:
  struct finish_sentence_guard {
    Decoder& d;
    ~finish_sentence_guard() { d.finish_sentence(); }
  };
  struct end_feed_guard {
    Decoder& d;
    ~end_feed_guard() { d.end_feed(); }
  };
  void begin_feed(const char* data, size_t n);
  bool next_sentence();
  void finish_sentence();
  void end_feed();
  [[noreturn]] void fail(std::string message);

  DecoderLimits limits_;
  std::string buf_;           // bytes of the incomplete sentence, from its first byte
  size_t resume_ = 0;         // parse position inside buf_ to resume from
  const char* in_ = nullptr;  // current input during feed (buf_ or the caller's bytes)
  size_t in_size_ = 0;
  size_t pos_ = 0;                                  // parse position inside the current input
  size_t sentence_start_ = 0;                       // start of the current sentence in the input
  std::vector<std::pair<size_t, size_t>> offsets_;  // (offset, length) of words, relative to sentence start
  size_t sentence_bytes_ = 0;                       // bytes of the current sentence parsed so far
  std::vector<std::string_view> views_;
  std::string poisoned_;
};

}  // namespace routerpulse::routeros
