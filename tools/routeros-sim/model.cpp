// routeros-sim — one simulated router's data (see model.hpp and README.md).
#include "model.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "routerpulse/routeros/codec.hpp"
#include "routerpulse/routeros/values.hpp"

namespace routeros_sim {

using routerpulse::routeros::format_ros_duration;

namespace {
constexpr int64_t kNs = 1000000000;

std::string uptime(int64_t now_ns, int64_t since_ns) {
  // RouterOS prints whole seconds.
  int64_t s = std::max<int64_t>(0, (now_ns - since_ns) / kNs);
  return format_ros_duration(std::chrono::seconds(s));
}

std::string u64(uint64_t v) { return std::to_string(v); }

// Counter value after `since`: rate per second times elapsed seconds.
uint64_t grown(uint64_t per_second, int64_t now_ns, int64_t since_ns) {
  if (now_ns <= since_ns) return 0;
  const auto dt = static_cast<uint64_t>(now_ns - since_ns);
  return dt / kNs * per_second +
         static_cast<uint64_t>(static_cast<double>(dt % kNs) * static_cast<double>(per_second) / kNs);
}

std::string encode_words(const Row& row) {
  std::string out;
  for (const auto& [k, v] : row) routerpulse::routeros::append_word(out, "=" + k + "=" + v);
  return out;
}
}  // namespace

Rates user_rates(uint64_t user, uint64_t rate_base) {
  Rates r;
  r.tx_bps = rate_base * (1 + user % 50);
  r.rx_bps = r.tx_bps / 4;
  r.tx_pps = r.tx_bps / 12000;
  r.rx_pps = r.rx_bps / 800;
  return r;
}

RouterModel::RouterModel(int index, const Scenario& s, int64_t start_ns)
    : index_(index),
      s_(s),
      boot_ns_(start_ns - 86400 * kNs * (index % 7 + 1)),
      rng_(s.seed * 7919 + index),
      neighbors_(index, s, boot_ns_) {
  identity_ = "sim-router-" + std::to_string(index);
  const uint64_t spare =
      s.spare_users >= 0 ? static_cast<uint64_t>(s.spare_users) : static_cast<uint64_t>((s.sessions + 9) / 10);
  pool_size_ = static_cast<uint64_t>(s.sessions) + spare;
  pool_first_ = static_cast<uint64_t>(index) * pool_size_ + 1;
  // Physical interfaces with fixed rates (README.md).
  const uint64_t b = s.rate_base;
  const Rates eth[] = {
      {800 * b, 200 * b, 800 * b / 12000, 200 * b / 800}, {10 * b, 20 * b, 10 * b / 800, 20 * b / 12000}, {}, {}};
  for (int i = 0; i < 4; ++i) {
    Interface f;
    f.id = fmt::format("*{:X}", i + 1);
    f.name = "ether" + std::to_string(i + 1);
    f.type = "ether";
    f.created_ns = boot_ns_;
    f.rates = eth[i];
    f.monitor_words = encode_words(monitor_row(f));
    physical_.push_back(std::move(f));
  }
  for (const auto& f : physical_) index_interface(f);
  for (uint64_t i = 0; i < static_cast<uint64_t>(s.sessions); ++i) {
    const uint64_t user = pool_first_ + i;
    // Initial sessions are back-dated by a per-user offset so uptimes differ.
    add_session(user, start_ns - static_cast<int64_t>((user * 3637) % 86400) * kNs);
  }
  for (uint64_t u = pool_first_ + s.sessions; u < pool_first_ + pool_size_; ++u) inactive_users_.push_back(u);
}

void RouterModel::index_interface(const Interface& i) { by_iface_[i.name] = 0; }

void RouterModel::add_session(uint64_t user, int64_t start_ns) {
  PppSession p;
  p.user = user;
  p.serial = next_serial_++;
  p.start_ns = start_ns;
  p.id = fmt::format("*{:X}", p.serial);
  p.name = fmt::format("user{:04}", user);
  p.iface.id = fmt::format("*{:X}", 0x100000 + p.serial);
  p.iface.name = "<pppoe-" + p.name + ">";
  p.iface.type = "pppoe-in";
  p.iface.dynamic = true;
  p.iface.created_ns = start_ns;
  p.iface.rates = user_rates(user, s_.rate_base);
  p.iface.monitor_words = encode_words(monitor_row(p.iface));
  by_iface_[p.iface.name] = p.serial;
  sessions_.emplace(p.serial, std::move(p));
}

const Interface* RouterModel::find_interface(const std::string& name) const {
  auto it = by_iface_.find(name);
  if (it == by_iface_.end()) return nullptr;
  if (it->second == 0) {
    for (const auto& f : physical_)
      if (f.name == name) return &f;
    return nullptr;
  }
  auto s = sessions_.find(it->second);
  return s == sessions_.end() ? nullptr : &s->second.iface;
}

Row RouterModel::ppp_active_row(const PppSession& p, int64_t now_ns) const {
  const uint64_t u = p.user;
  return {{".id", p.id},
          {"name", p.name},
          {"service", "pppoe"},
          {"caller-id", fmt::format("AA:BB:CC:{:02X}:{:02X}:{:02X}", (u >> 16) & 0xFF, (u >> 8) & 0xFF, u & 0xFF)},
          {"address", fmt::format("100.{}.{}.{}", 64 + ((u >> 16) & 0x3F), (u >> 8) & 0xFF, u & 0xFF)},
          {"uptime", uptime(now_ns, p.start_ns)},
          {"encoding", ""},
          {"session-id", fmt::format("0x{:X}", 0x81000000u + p.serial)},
          {"limit-bytes-in", "0"},
          {"limit-bytes-out", "0"},
          {"radius", "false"}};
}

std::vector<Row> RouterModel::ppp_active_rows(int64_t now_ns) const {
  std::vector<Row> rows;
  rows.reserve(sessions_.size());
  for (const auto& [serial, p] : sessions_) rows.push_back(ppp_active_row(p, now_ns));
  return rows;
}

Row RouterModel::monitor_row(const Interface& i) {
  const Rates& r = i.rates;
  return {{"name", i.name},
          {"rx-packets-per-second", u64(r.rx_pps)},
          {"rx-bits-per-second", u64(r.rx_bps)},
          {"fp-rx-packets-per-second", u64(r.rx_pps)},
          {"fp-rx-bits-per-second", u64(r.rx_bps)},
          {"rx-drops-per-second", "0"},
          {"rx-errors-per-second", "0"},
          {"tx-packets-per-second", u64(r.tx_pps)},
          {"tx-bits-per-second", u64(r.tx_bps)},
          {"fp-tx-packets-per-second", u64(r.tx_pps)},
          {"fp-tx-bits-per-second", u64(r.tx_bps)},
          {"tx-drops-per-second", "0"},
          {"tx-queue-drops-per-second", "0"},
          {"tx-errors-per-second", "0"}};
}

std::vector<Row> RouterModel::interface_rows(int64_t now_ns) const {
  std::vector<Row> rows;
  rows.reserve(physical_.size() + sessions_.size());
  auto add = [&](const Interface& i, const std::string& mac) {
    const Rates& r = i.rates;
    const uint64_t rxb = grown(r.rx_bps / 8, now_ns, i.created_ns), txb = grown(r.tx_bps / 8, now_ns, i.created_ns);
    const uint64_t rxp = grown(r.rx_pps, now_ns, i.created_ns), txp = grown(r.tx_pps, now_ns, i.created_ns);
    Row row{{".id", i.id}, {"name", i.name}};
    if (i.type == "ether") row.emplace_back("default-name", i.name);
    row.insert(row.end(), {{"type", i.type},
                           {"mtu", i.type == "ether" ? "1500" : "1480"},
                           {"actual-mtu", i.type == "ether" ? "1500" : "1480"},
                           {"last-link-up-time", "2024-01-01 00:00:00"},
                           {"link-downs", "0"},
                           {"rx-byte", u64(rxb)},
                           {"tx-byte", u64(txb)},
                           {"rx-packet", u64(rxp)},
                           {"tx-packet", u64(txp)},
                           {"rx-drop", "0"},
                           {"tx-drop", "0"},
                           {"tx-queue-drop", "0"},
                           {"rx-error", "0"},
                           {"tx-error", "0"},
                           {"fp-rx-byte", u64(rxb)},
                           {"fp-tx-byte", u64(txb)},
                           {"fp-rx-packet", u64(rxp)},
                           {"fp-tx-packet", u64(txp)},
                           {"running", "true"},
                           {"disabled", "false"},
                           {"dynamic", i.dynamic ? "true" : "false"},
                           {"slave", "false"}});
    if (!mac.empty()) row.emplace_back("mac-address", mac);
    rows.push_back(std::move(row));
  };
  for (size_t k = 0; k < physical_.size(); ++k)
    add(physical_[k], fmt::format("02:00:{:02X}:{:02X}:00:{:02X}", (index_ >> 8) & 0xFF, index_ & 0xFF, k + 1));
  for (const auto& [serial, p] : sessions_) add(p.iface, "");
  return rows;
}

Row RouterModel::resource_row(int64_t now_ns) const {
  return {{"uptime", uptime(now_ns, boot_ns_)},
          {"version", s_.version},
          {"build-time", "2024-10-10 10:00:00"},
          {"factory-software", "7.1"},
          {"free-memory", u64(4294967296ull - 268435456ull - sessions_.size() * 65536ull)},
          {"total-memory", "4294967296"},
          {"cpu", "ARM64"},
          {"cpu-count", "4"},
          {"cpu-frequency", "1700"},
          {"cpu-load", u64(2 + sessions_.size() / 250)},
          {"free-hdd-space", "100663296"},
          {"total-hdd-space", "134217728"},
          {"architecture-name", "arm64"},
          {"board-name", "CCR2004-1G-12S+2XS"},
          {"platform", "MikroTik"}};
}

void RouterModel::churn_once(int64_t now_ns) {
  if (sessions_.empty() || inactive_users_.empty()) return;
  auto it = sessions_.begin();
  std::advance(it, static_cast<long>(rng_() % sessions_.size()));
  const uint64_t gone_user = it->second.user;
  const std::string gone_id = it->second.id;
  by_iface_.erase(it->second.iface.name);
  sessions_.erase(it);
  const size_t pick = rng_() % inactive_users_.size();
  const uint64_t new_user = inactive_users_[pick];
  inactive_users_[pick] = gone_user;
  add_session(new_user, now_ns);
  const Row dead{{".id", gone_id}, {".dead", "yes"}};
  const Row added = ppp_active_row(std::prev(sessions_.end())->second, now_ns);
  auto listeners = listeners_;  // a listener may unsubscribe while being called
  for (auto& [id, fn] : listeners) {
    fn(dead);
    fn(added);
  }
}

uint64_t RouterModel::add_listener(std::function<void(const Row&)> fn) {
  listeners_[next_listener_] = std::move(fn);
  return next_listener_++;
}

void RouterModel::remove_listener(uint64_t id) { listeners_.erase(id); }

}  // namespace routeros_sim
