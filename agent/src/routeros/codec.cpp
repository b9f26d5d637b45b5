// RouterOS API wire codec (see routerpulse/routeros/codec.hpp for the format).
#include "routerpulse/routeros/codec.hpp"

#include <string>

namespace routerpulse::routeros {

size_t length_prefix_size(uint64_t len) {
  if (len < 0x80) return 1;
  if (len < 0x4000) return 2;
  if (len < 0x200000) return 3;
  if (len < 0x10000000) return 4;
  if (len <= kMaxEncodableWord) return 5;
  throw std::length_error("RouterOS API word of " + std::to_string(len) + " bytes exceeds 2^32-1");
}

void append_length(std::string& out, uint64_t len) {
  switch (length_prefix_size(len)) {
    case 1: out.push_back(static_cast<char>(len)); break;
    case 2:
      len |= 0x8000;
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      break;
    case 3:
      len |= 0xC00000;
      out.push_back(static_cast<char>(len >> 16));
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      break;
    case 4:
      len |= 0xE0000000;
      out.push_back(static_cast<char>(len >> 24));
      out.push_back(static_cast<char>(len >> 16));
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      break;
    default:
      out.push_back(static_cast<char>(0xF0));
      out.push_back(static_cast<char>(len >> 24));
      out.push_back(static_cast<char>(len >> 16));
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      break;
  }
}

void append_word(std::string& out, std::string_view word) {
  append_length(out, word.size());
  out.append(word.data(), word.size());
}

namespace {
template <class W>
void append_sentence_impl(std::string& out, std::span<const W> words) {
  size_t total = 1;
  for (const auto& w : words) {
    if (w.empty()) throw std::invalid_argument("RouterOS API sentence must not contain an empty word");
    total += length_prefix_size(w.size()) + w.size();
  }
  out.reserve(out.size() + total);
  for (const auto& w : words) append_word(out, w);
  out.push_back('\0');
}
}  // namespace

void append_sentence(std::string& out, std::span<const std::string> words) { append_sentence_impl(out, words); }

void append_sentence(std::string& out, std::span<const std::string_view> words) { append_sentence_impl(out, words); }

std::string encode_sentence(std::span<const std::string> words) {
  std::string out;
  append_sentence(out, words);
  return out;
}

// ------------------------------------------------------------------ Decoder

Decoder::Decoder(DecoderLimits limits) : limits_(limits) {}

size_t Decoder::buffered_bytes() const noexcept { return buf_.size(); }

void Decoder::reset() {
  buf_.clear();
  buf_.shrink_to_fit();
  resume_ = 0;
  in_ = nullptr;
  in_size_ = pos_ = sentence_start_ = 0;
  offsets_.clear();
  sentence_bytes_ = 0;
  views_.clear();
  poisoned_.clear();
}

void Decoder::fail(std::string message) {
  poisoned_ = message;
  throw ProtocolError(std::move(message));
}

void Decoder::begin_feed(const char* data, size_t n) {
  if (!poisoned_.empty()) throw ProtocolError(poisoned_);
  if (buf_.empty()) {
    in_ = data;
    in_size_ = n;
    pos_ = 0;
  } else {
    // Bytes of an incomplete sentence are waiting: continue in the buffer.
    // Its size is bounded by max_sentence_bytes plus one read.
    buf_.append(data, n);
    in_ = buf_.data();
    in_size_ = buf_.size();
    pos_ = resume_;
  }
  sentence_start_ = 0;
}

bool Decoder::next_sentence() {
  for (;;) {
    if (pos_ >= in_size_) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(in_ + pos_);
    const unsigned char b0 = p[0];
    size_t prefix;
    if (b0 < 0x80)
      prefix = 1;
    else if (b0 < 0xC0)
      prefix = 2;
    else if (b0 < 0xE0)
      prefix = 3;
    else if (b0 < 0xF0)
      prefix = 4;
    else if (b0 == 0xF0)
      prefix = 5;
    else
      fail("RouterOS API protocol error: reserved control byte 0x" + std::string(1, "0123456789abcdef"[b0 >> 4]) +
           std::string(1, "0123456789abcdef"[b0 & 15]) + " where a word length was expected");
    if (in_size_ - pos_ < prefix) return false;
    uint64_t len;
    switch (prefix) {
      case 1: len = b0; break;
      case 2: len = ((b0 & 0x3Fu) << 8) | p[1]; break;
      case 3: len = ((b0 & 0x1Fu) << 16) | (uint64_t(p[1]) << 8) | p[2]; break;
      case 4: len = (uint64_t(b0 & 0x0Fu) << 24) | (uint64_t(p[1]) << 16) | (uint64_t(p[2]) << 8) | p[3]; break;
      default: len = (uint64_t(p[1]) << 24) | (uint64_t(p[2]) << 16) | (uint64_t(p[3]) << 8) | p[4]; break;
    }
    if (len == 0) {
      pos_ += prefix;
      views_.clear();
      views_.reserve(offsets_.size());
      const char* base = in_ + sentence_start_;
      for (const auto& [off, n] : offsets_) views_.emplace_back(base + off, n);
      return true;
    }
    if (len > limits_.max_word_bytes)
      fail("RouterOS API protocol error: word of " + std::to_string(len) + " bytes exceeds the limit of " +
           std::to_string(limits_.max_word_bytes) + " bytes");
    if (sentence_bytes_ + prefix + len + 1 > limits_.max_sentence_bytes)
      fail("RouterOS API protocol error: sentence exceeds the limit of " + std::to_string(limits_.max_sentence_bytes) +
           " bytes");
    if (offsets_.size() >= limits_.max_words)
      fail("RouterOS API protocol error: sentence has more than " + std::to_string(limits_.max_words) + " words");
    if (in_size_ - pos_ - prefix < len) return false;
    offsets_.emplace_back(pos_ + prefix - sentence_start_, static_cast<size_t>(len));
    sentence_bytes_ += prefix + static_cast<size_t>(len);
    pos_ += prefix + static_cast<size_t>(len);
  }
}

void Decoder::finish_sentence() {
  offsets_.clear();
  sentence_bytes_ = 0;
  views_.clear();
  sentence_start_ = pos_;
}

void Decoder::end_feed() {
  if (in_ == nullptr) return;
  const size_t rest = in_size_ - sentence_start_;
  if (in_ == buf_.data() && !buf_.empty()) {
    buf_.erase(0, sentence_start_);
  } else {
    buf_.assign(in_ + sentence_start_, rest);
  }
  resume_ = pos_ - sentence_start_;
  if (buf_.empty() && buf_.capacity() > (64u << 10)) buf_.shrink_to_fit();
  in_ = nullptr;
  in_size_ = pos_ = sentence_start_ = 0;
}

}  // namespace routerpulse::routeros
