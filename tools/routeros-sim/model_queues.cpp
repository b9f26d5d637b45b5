// routeros-sim — `/queue/simple/print`: one simple queue per PPPoE session
// (dynamic `<pppoe-USER>` or a static `customer-USER` on the session's
// address, scenario `pppoe_queues`) and `static_queues` static-customer
// queues on the ARP table's addresses. Values follow the per-user traffic
// formulas (README.md, "Simple queues"); queues come and go with the sessions
// (churn), because the rows are built from the live session table.
//
// RouterOS prints every queue value as an `upload/download` pair from the
// target's point of view (RouterOS manual, Queues → Simple); limits are
// printed with SI suffixes (`10M/50M`), rates and counters as plain numbers.
#include <fmt/format.h>

#include "model.hpp"

namespace routeros_sim {

namespace {

constexpr int64_t kNs = 1000000000;

// Counter value after `since` at `per_second` (the same rule as the interface
// counters in model.cpp): rate times elapsed time.
uint64_t grown(uint64_t per_second, int64_t now_ns, int64_t since_ns) {
  if (now_ns <= since_ns) return 0;
  const auto dt = static_cast<uint64_t>(now_ns - since_ns);
  return dt / kNs * per_second +
         static_cast<uint64_t>(static_cast<double>(dt % kNs) * static_cast<double>(per_second) / kNs);
}

// A limit as RouterOS prints it: `50M`, `1250k`, `1500`, `0`.
std::string limit_text(uint64_t bps) {
  if (bps != 0 && bps % 1000000 == 0) return fmt::format("{}M", bps / 1000000);
  if (bps != 0 && bps % 1000 == 0) return fmt::format("{}k", bps / 1000);
  return std::to_string(bps);
}

struct QueueValues {
  uint64_t up_limit = 0, down_limit = 0;  // 0 = unlimited
  uint64_t up_bps = 0, down_bps = 0, up_pps = 0, down_pps = 0;
  int64_t since_ns = 0;  // counters grow from here
};

void add_row(std::vector<Row>& rows, std::string id, std::string name, std::string target, bool dynamic,
             const QueueValues& q, int64_t now_ns) {
  const bool limited = q.up_limit != 0 || q.down_limit != 0;
  const uint64_t up_packets = grown(q.up_pps, now_ns, q.since_ns), down_packets = grown(q.down_pps, now_ns, q.since_ns);
  rows.push_back({{".id", std::move(id)},
                  {"name", std::move(name)},
                  {"target", std::move(target)},
                  {"parent", "none"},
                  {"packet-marks", ""},
                  {"priority", "8/8"},
                  {"queue", "default-small/default-small"},
                  {"limit-at", "0/0"},
                  {"max-limit", limit_text(q.up_limit) + "/" + limit_text(q.down_limit)},
                  {"burst-limit", "0/0"},
                  {"burst-threshold", "0/0"},
                  {"burst-time", "0s/0s"},
                  {"bucket-size", "0.1/0.1"},
                  {"rate", fmt::format("{}/{}", q.up_bps, q.down_bps)},
                  {"packet-rate", fmt::format("{}/{}", q.up_pps, q.down_pps)},
                  {"bytes", fmt::format("{}/{}", grown(q.up_bps / 8, now_ns, q.since_ns),
                                        grown(q.down_bps / 8, now_ns, q.since_ns))},
                  {"packets", fmt::format("{}/{}", up_packets, down_packets)},
                  {"dropped", limited ? fmt::format("{}/{}", up_packets / 100, down_packets / 100) : "0/0"},
                  {"queued-bytes", limited ? "0/3000" : "0/0"},
                  {"queued-packets", limited ? "0/2" : "0/0"},
                  {"invalid", "false"},
                  {"dynamic", dynamic ? "true" : "false"},
                  {"disabled", "false"}});
}

}  // namespace

std::vector<Row> RouterModel::queue_rows(int64_t now_ns) const {
  std::vector<Row> rows;
  const bool per_session = s_.pppoe_queues != "none";
  rows.reserve((per_session ? sessions_.size() : 0) + static_cast<size_t>(s_.static_queues));
  // Static-customer queues first, as an ISP adds them once (lower .ids).
  for (int k = 1; k <= s_.static_queues; ++k) {
    QueueValues q;
    q.down_bps = s_.rate_base * static_cast<uint64_t>(1 + k % 5) / 4;
    q.up_bps = q.down_bps / 4;
    q.down_pps = q.down_bps / 12000;
    q.up_pps = q.up_bps / 800;
    q.since_ns = boot_ns_;
    if (k % 3 == 1) q.up_limit = 10000000, q.down_limit = 50000000;  // 10M/50M
    if (k % 3 == 2) q.up_limit = 512000, q.down_limit = 2000000;     // 512k/2M; k % 3 == 0: unlimited (0/0)
    add_row(rows, fmt::format("*{:X}", 0x100 + k), fmt::format("static-user{:04}", k),
            fmt::format("10.{}.{}.{}/32", 20 + index_ % 200, k / 250, k % 250 + 1), false, q, now_ns);
  }
  if (!per_session) return rows;
  for (const auto& [serial, p] : sessions_) {
    const Rates& r = p.iface.rates;  // the router's view: tx = the customer's download
    QueueValues q;
    q.down_bps = r.tx_bps;
    q.up_bps = r.rx_bps;
    q.down_pps = r.tx_pps;
    q.up_pps = r.rx_pps;
    q.since_ns = p.start_ns;
    if (p.user % 10 != 0) {  // every tenth user has no limit (0/0)
      // Download utilisation 0.8; users ending in 5 run at their package (1.0).
      q.down_limit = p.user % 10 == 5 ? r.tx_bps : r.tx_bps * 5 / 4;
      q.up_limit = r.rx_bps * 2;  // utilisation 0.5
    }
    const std::string id = fmt::format("*{:X}", 0x200000 + serial);
    if (s_.pppoe_queues == "dynamic") {
      add_row(rows, id, p.iface.name, p.iface.name, true, q, now_ns);
    } else {  // named: a static queue per customer on the session's address, as scripts/RADIUS set it up
      const uint64_t u = p.user;
      add_row(rows, id, "customer-" + p.name,
              fmt::format("100.{}.{}.{}/32", 64 + ((u >> 16) & 0x3F), (u >> 8) & 0xFF, u & 0xFF), false, q, now_ns);
    }
  }
  return rows;
}

}  // namespace routeros_sim
