// Decode throughput of the RouterOS API codec.
//
// Builds a byte stream of realistic `/interface/monitor-traffic` replies (the
// agent's hot path: one `!re` of 16 words per PPPoE interface per second) and
// decodes it in 64 KiB reads, as the session does:
//   words   — Decoder only (framing, no copies)
//   replies — Decoder + parse_reply into Reply objects (what a Session delivers)
// Prints MB/s and sentences/s for each. Usage: bench_routeros_decode [sentences] [rounds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "routerpulse/routeros/codec.hpp"
#include "routerpulse/routeros/sentence.hpp"

using namespace routerpulse::routeros;

int main(int argc, char** argv) {
  const size_t sentences = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string stream;
  for (size_t i = 0; i < sentences; ++i) {
    const uint64_t u = 1 + i % 2000;
    const uint64_t tx = 1000000 * (1 + u % 50), rx = tx / 4;
    std::vector<std::string> w{"!re",
                               "=name=<pppoe-user" + std::to_string(u) + ">",
                               "=rx-packets-per-second=" + std::to_string(rx / 800),
                               "=rx-bits-per-second=" + std::to_string(rx),
                               "=fp-rx-packets-per-second=" + std::to_string(rx / 800),
                               "=fp-rx-bits-per-second=" + std::to_string(rx),
                               "=rx-drops-per-second=0",
                               "=rx-errors-per-second=0",
                               "=tx-packets-per-second=" + std::to_string(tx / 12000),
                               "=tx-bits-per-second=" + std::to_string(tx),
                               "=fp-tx-packets-per-second=" + std::to_string(tx / 12000),
                               "=fp-tx-bits-per-second=" + std::to_string(tx),
                               "=tx-drops-per-second=0",
                               "=tx-queue-drops-per-second=0",
                               "=tx-errors-per-second=0",
                               ".tag=17"};
    append_sentence(stream, std::span<const std::string>(w));
  }
  const double mb = static_cast<double>(stream.size()) / 1e6;
  std::printf("stream: %zu sentences, %.1f MB (%.0f bytes/sentence), 64 KiB reads, %d rounds\n", sentences, mb,
              static_cast<double>(stream.size()) / static_cast<double>(sentences), rounds);

  for (int mode = 0; mode < 2; ++mode) {
    double best = 1e30;
    size_t checksum = 0;
    for (int r = 0; r < rounds; ++r) {
      Decoder d;
      size_t n = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t pos = 0; pos < stream.size(); pos += 65536) {
        const size_t len = std::min<size_t>(65536, stream.size() - pos);
        d.feed(stream.data() + pos, len, [&](std::span<const std::string_view> words) {
          if (mode == 0) {
            checksum += words.size();
          } else {
            Reply rep = parse_reply(words);
            checksum += rep.attributes.size();
          }
          ++n;
        });
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (n != sentences) {
        std::fprintf(stderr, "decoded %zu of %zu sentences\n", n, sentences);
        return 1;
      }
      best = std::min(best, s);
    }
    std::printf("%-8s %8.1f MB/s %12.0f sentences/s  (best of %d, checksum %zu)\n", mode == 0 ? "words" : "replies",
                mb / best, static_cast<double>(sentences) / best, rounds, checksum);
  }
  return 0;
}
