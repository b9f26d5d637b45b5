// routeros-sim — `/ping` from the router (MikroTik manual "Ping"; API
// behaviour per the "API command notes": one `!re` per probe, running totals,
// `!done` after `count` probes). Reachability and RTT come from ArpModel.
#include <fmt/format.h>

#include "server.hpp"

namespace routeros_sim {

namespace {

/// RouterOS 7 prints sub-millisecond parts (`1ms250us`); RouterOS 6 whole ms.
std::string format_rtt(int64_t us, bool v6) {
  if (v6) return fmt::format("{}ms", us / 1000);
  return us % 1000 ? fmt::format("{}ms{}us", us / 1000, us % 1000) : fmt::format("{}ms", us / 1000);
}

struct PingJob {
  Request req;
  std::string address, interface;
  bool arp_ping = false;
  int count = 1, seq = 0, received = 0;
  int64_t min_us = 0, max_us = 0, sum_us = 0;
};

}  // namespace

void Connection::ping(const Request& r) {
  const std::string* address = r.get("address");
  if (!address || address->empty()) return reply_trap(r, "missing value(s) of argument(s) address");
  auto job = std::make_shared<PingJob>();
  job->req = r;
  job->address = *address;
  if (const std::string* c = r.get("count")) job->count = std::max(1, std::min(100, std::atoi(c->c_str())));
  if (const std::string* a = r.get("arp-ping")) job->arp_ping = *a == "yes" || *a == "true";
  if (const std::string* i = r.get("interface")) job->interface = *i;
  if (job->arp_ping && job->interface.empty()) return reply_trap(r, "interface must be specified for arp-ping");
  auto step = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak_step = step;
  *step = [this, job, weak_step] {
    const auto outcome = router_.arp.ping(job->address, job->arp_ping, job->interface);
    const auto delay = outcome.reply ? std::chrono::microseconds(outcome.rtt_us)
                                     : std::chrono::microseconds(int64_t(router_.scenario.ping_timeout_ms) * 1000);
    auto t = std::make_shared<boost::asio::steady_timer>(router_.io, delay);
    delayed_.push_back(t);  // close() cancels it
    auto keep = weak_step.lock();
    t->async_wait([self = shared_from_this(), t, job, outcome, keep](boost::system::error_code ec) {
      std::erase(self->delayed_, t);
      if (ec || self->closed_ || self->closing_ || self->router_.stalled) return;
      const bool v6 = self->router_.arp.v6();
      Row row{{"seq", std::to_string(job->seq)}, {"host", job->address}};
      if (outcome.reply) {
        ++job->received;
        job->min_us = job->received == 1 ? outcome.rtt_us : std::min(job->min_us, outcome.rtt_us);
        job->max_us = std::max(job->max_us, outcome.rtt_us);
        job->sum_us += outcome.rtt_us;
        if (!job->arp_ping) {
          row.emplace_back("size", "56");
          row.emplace_back("ttl", "64");
        }
        row.emplace_back("time", format_rtt(outcome.rtt_us, v6));
      } else {
        row.emplace_back("status", "timeout");
      }
      ++job->seq;
      row.emplace_back("sent", std::to_string(job->seq));
      row.emplace_back("received", std::to_string(job->received));
      row.emplace_back("packet-loss", std::to_string(100 * (job->seq - job->received) / job->seq));
      if (job->received) {
        row.emplace_back("min-rtt", format_rtt(job->min_us, v6));
        row.emplace_back("avg-rtt", format_rtt(job->sum_us / job->received, v6));
        row.emplace_back("max-rtt", format_rtt(job->max_us, v6));
      }
      self->reply_row(job->req, row);
      if (job->seq >= job->count) return self->reply_done(job->req);
      (*keep)();
    });
  };
  (*step)();
}

}  // namespace routeros_sim
