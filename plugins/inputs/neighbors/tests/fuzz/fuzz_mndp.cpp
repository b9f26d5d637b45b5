// libFuzzer target: MNDP datagrams (mndp_packet.hpp). Any input must parse
// without a crash or sanitizer report; an accepted announcement has a MAC and
// cleans into valid UTF-8 within the cap. Built with -DROUTERPULSE_BUILD_FUZZ=ON
// and clang; otherwise CTest replays corpus/ through it (replay_main.cpp of
// tests/routeros/fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mndp_packet.hpp"
#include "text/untrusted_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace routerpulse::neighbors;
  MndpAnnouncement a;
  std::string error;
  const std::string_view d(reinterpret_cast<const char*>(data), size);
  switch (parse_mndp(d, a, error)) {
    case MndpParse::announcement: {
      if (a.mac.size() != 17) std::abort();
      const Neighbor n = to_neighbor(a, 32);
      for (const std::string* s : {&n.identity, &n.platform, &n.board, &n.version, &n.software_id})
        if (s->size() > 32 || !routerpulse::text::is_valid_utf8(*s)) std::abort();
      break;
    }
    case MndpParse::malformed:
      if (error.empty()) std::abort();
      break;
    case MndpParse::solicitation:
      if (size != 4) std::abort();
      break;
  }
  return 0;
}
