// bench_queue_poll — CPU of routeros_traffic's simple-queue processing alone
// (QueuePoll::process: match every queue to its PPPoE session, parse the
// upload/download pairs, build customer_queue metrics), without the network
// and the API decoder (bench_routeros_decode measures that).
//
//   bench_queue_poll [ROUTERS=50] [QUEUES=2000] [ROUNDS=20] [MODE=dynamic|named]
// Rows look like routeros-sim's (tools/routeros-sim/model_queues.cpp) with the
// routeros_traffic `.proplist`; `named` queues (customer-USER on the
// session's address) are matched by address. Prints CPU ms per round (all
// routers), µs per queue, for the first round (tag sets built) and the
// following ones (tag sets reused).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "queue_options.hpp"
#include "queue_poll.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros_traffic;
namespace rr = routerpulse::routeros;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Router {
  std::unordered_map<std::string, PppoeSession> sessions;
  std::vector<rr::Reply> rows;
};

Router make_router(int r, int queues, bool named) {
  Router out;
  for (int i = 0; i < queues; ++i) {
    const uint64_t u = static_cast<uint64_t>(r) * queues + i + 1;
    PppoeSession s;
    s.id = fmt::format("*{:X}", i + 1);
    s.user = fmt::format("user{:04}", u);
    s.interface = pppoe_interface(s.user);
    s.address = fmt::format("100.{}.{}.{}", 64 + ((u >> 16) & 0x3F), (u >> 8) & 0xFF, u & 0xFF);
    const uint64_t tx = 1000000 * (1 + u % 50), rx = tx / 4;
    rr::Reply row;
    row.type = rr::ReplyType::re;
    row.attributes = {{".id", fmt::format("*{:X}", 0x200000 + i)},
                      {"name", named ? "customer-" + s.user : s.interface},
                      {"target", named ? s.address + "/32" : s.interface},
                      {"disabled", "false"},
                      {"dynamic", named ? "false" : "true"},
                      {"max-limit", fmt::format("{}k/{}k", rx * 2 / 1000, tx * 5 / 4 / 1000)},
                      {"limit-at", "0/0"},
                      {"burst-limit", "0/0"},
                      {"rate", fmt::format("{}/{}", rx, tx)},
                      {"bytes", fmt::format("{}/{}", rx / 8 * 3637, tx / 8 * 3637)},
                      {"packets", fmt::format("{}/{}", rx / 800 * 3637, tx / 12000 * 3637)},
                      {"dropped", fmt::format("{}/{}", rx / 80000 * 3637, tx / 1200000 * 3637)},
                      {"queued-bytes", "0/3000"}};
    out.rows.push_back(std::move(row));
    out.sessions.emplace(s.id, std::move(s));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int routers = argc > 1 ? std::atoi(argv[1]) : 50;
  const int queues = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 20;
  const bool named = argc > 4 && std::string(argv[4]) == "named";
  if (routers < 1 || queues < 1 || rounds < 2) {
    std::fprintf(stderr, "usage: bench_queue_poll [ROUTERS] [QUEUES] [ROUNDS>=2] [dynamic|named]\n");
    return 2;
  }
  std::vector<Router> data;
  for (int r = 0; r < routers; ++r) data.push_back(make_router(r, queues, named));
  QueueOptions opts;  // queues: pppoe (the default)
  std::vector<std::unique_ptr<QueuePoll>> polls;
  for (int r = 0; r < routers; ++r) polls.push_back(std::make_unique<QueuePoll>("r" + std::to_string(r), opts));

  double first = 0, rest = 0;
  size_t reported = 0;
  for (int k = 0; k < rounds; ++k) {
    const double t0 = cpu_seconds();
    for (int r = 0; r < routers; ++r) {
      MetricBatch out;  // freed inside the timed section, as the pipeline would free it later
      reported += polls[r]->process(data[r].rows, &data[r].sessions, 1, out).reported;
    }
    const double dt = cpu_seconds() - t0;
    (k == 0 ? first : rest) += dt;
  }
  const double total_queues = static_cast<double>(routers) * queues;
  rest /= rounds - 1;
  std::printf(
      "bench_queue_poll routers=%d queues_per_router=%d mode=%s rounds=%d reported=%zu\n"
      "first_round_cpu_ms=%.1f (%.2f us/queue, tag sets built)\n"
      "later_rounds_cpu_ms=%.1f (%.2f us/queue, tag sets reused)\n",
      routers, queues, named ? "named(address match)" : "dynamic(<pppoe-USER>)", rounds, reported, first * 1e3,
      first * 1e6 / total_queues, rest * 1e3, rest * 1e6 / total_queues);
  return reported == static_cast<size_t>(total_queues) * rounds ? 0 : 1;
}
