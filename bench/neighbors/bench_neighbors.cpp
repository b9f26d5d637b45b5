// bench_neighbors ROUTERS NEIGHBORS KNOWN ROUNDS
//
// CPU cost of the neighbors input's own work, without the network:
//  1. building sightings from `/ip/neighbor` replies (from_reply: MAC
//     normalisation, text cleaning, duration parsing);
//  2. one inventory round: observe() of every router's table plus
//     finish_round() (metrics, events, lost decisions) and the topology JSON;
//  3. MNDP parsing of a full announcement.
// ROUTERS × NEIGHBORS sightings per round; KNOWN entries in the known list
// (half of them seen, keyed by MAC). Prints one line per measurement.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "inventory.hpp"
#include "mndp_packet.hpp"

using namespace routerpulse;
using namespace routerpulse::neighbors;

namespace {

std::string mac_of(int r, int k) {
  return fmt::format("02:{:02X}:{:02X}:{:02X}:{:02X}:01", r >> 8, r & 0xFF, k >> 8, k & 0xFF);
}

routeros::Reply row(int r, int k) {
  routeros::Reply re;
  re.type = routeros::ReplyType::re;
  auto add = [&](const char* key, std::string v) { re.attributes.emplace_back(key, std::move(v)); };
  add("interface", k % 7 == 0 ? "ether5,bond1" : "ether" + std::to_string(1 + k % 4));
  add("address", fmt::format("10.{}.{}.{}", r & 0xFF, k >> 8, k & 0xFF));
  add("address4", fmt::format("10.{}.{}.{}", r & 0xFF, k >> 8, k & 0xFF));
  add("address6", "");
  add("mac-address", mac_of(r, k));
  add("identity",
      k % 5 == 0 ? std::string("sector-") + std::to_string(k) + std::string(3, '\0') : "ap-" + std::to_string(k));
  add("platform", "MikroTik");
  add("version", "7.16.1 (stable)");
  add("board", "RBLHGG-5acD");
  add("age", "12s");
  add("uptime", "1w2d3h4m5s");
  add("software-id", "ABCD-1234");
  add("interface-name", "wlan1");
  add("discovered-by", "cdp,lldp,mndp");
  return re;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int routers = argc > 1 ? std::atoi(argv[1]) : 50;
  const int per = argc > 2 ? std::atoi(argv[2]) : 200;
  const int known = argc > 3 ? std::atoi(argv[3]) : 5000;
  const int rounds = std::max(2, argc > 4 ? std::atoi(argv[4]) : 20);

  std::vector<std::vector<routeros::Reply>> replies(static_cast<size_t>(routers));
  for (int r = 0; r < routers; ++r)
    for (int k = 0; k < per; ++k) replies[static_cast<size_t>(r)].push_back(row(r, k));
  std::vector<targets::TargetSpec> list;
  for (int i = 0; i < known; ++i)  // every other known entry is seen
    list.push_back({i % 2 == 0 ? mac_of(i / 2 % routers, i / 2 / routers)
                               : fmt::format("ff:00:00:{:02X}:{:02X}:01", i >> 8, i & 0xFF),
                    {{"site", "s" + std::to_string(i % 10)}},
                    "bench"});

  Inventory inv({.candidate_repeat = std::chrono::hours(24), .lost_after = std::chrono::minutes(10)});
  inv.set_known(list);
  double parse_s = 0, round_s = 0, topo_s = 0, first_round_s = 0;
  size_t metrics = 0, topo_bytes = 0;
  const double cpu0 = bench::cpu_seconds();
  SteadyTime now{};
  for (int n = 0; n < rounds; ++n) {
    now += std::chrono::seconds(60);
    std::vector<std::vector<Neighbor>> tables(static_cast<size_t>(routers));
    auto t = std::chrono::steady_clock::now();
    for (int r = 0; r < routers; ++r)
      for (const auto& re : replies[static_cast<size_t>(r)])
        if (auto nb = from_reply(re, "r" + std::to_string(r), 64))
          tables[static_cast<size_t>(r)].push_back(std::move(*nb));
    parse_s += since(t);
    t = std::chrono::steady_clock::now();
    MetricBatch out;
    for (int r = 0; r < routers; ++r) inv.observe("r" + std::to_string(r), tables[static_cast<size_t>(r)], now);
    inv.finish_round(now, 1, out);
    (n == 0 ? first_round_s : round_s) += since(t);  // the first round emits every candidate
    metrics += out.size();
    t = std::chrono::steady_clock::now();
    topo_bytes = inv.topology_json().size();
    topo_s += since(t);
  }
  const double cpu = bench::cpu_seconds() - cpu0;
  const double sightings = static_cast<double>(routers) * per;
  std::printf("sightings/round %.0f, known %d, rounds %d, metrics/round %.0f\n", sightings, known, rounds,
              static_cast<double>(metrics) / rounds);
  std::printf("rows -> sightings: %.2f ms/round (%.2f us/row)\n", parse_s / rounds * 1e3,
              parse_s / rounds / sightings * 1e6);
  std::printf("inventory round 1: %.2f ms (every unseen device a candidate)\n", first_round_s * 1e3);
  const double steady = round_s / (rounds - 1);
  std::printf("inventory round:   %.2f ms/round after the first (%.2f us/sighting)\n", steady * 1e3,
              steady / sightings * 1e6);
  std::printf("topology JSON:     %.2f ms/round (%zu bytes)\n", topo_s / rounds * 1e3, topo_bytes);
  std::printf("CPU total:         %.2f s for %d rounds\n", cpu, rounds);

  MndpAnnouncement a;
  a.mac = "48:A9:8A:0B:0C:0D";
  a.identity = "sector-north-1";
  a.version = "7.16.1 (stable)";
  a.platform = "MikroTik";
  a.software_id = "ABCD-1234";
  a.board = "RBLHGG-5acD";
  a.interface_name = "wlan1";
  a.uptime_s = 3600;
  a.ipv4 = "10.0.0.1";
  a.ipv6 = "fe80::1";
  const std::string wire = encode_mndp(a);
  const int n = 1000000;
  size_t ok = 0;
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    MndpAnnouncement b;
    std::string err;
    ok += parse_mndp(wire, b, err) == MndpParse::announcement;
  }
  const double s = since(t);
  std::printf("MNDP parse:        %.0f k packets/s (%zu bytes each, %zu ok)\n", n / s / 1e3, wire.size(), ok);
  return 0;
}
