// routeros-sim — the state of one simulated router: PPPoE sessions with
// deterministic rates, physical interfaces, ARP, neighbors, queues, churn.
// Every number a test may want to predict follows the formulas in README.md
// ("Deterministic values"). Single-threaded: used from the sim's io thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "model_neighbors.hpp"
#include "routerpulse/routeros/sentence.hpp"
#include "scenario.hpp"

namespace routeros_sim {

using Row = routerpulse::routeros::Attributes;

/// Per-second rates of one interface.
struct Rates {
  uint64_t rx_bps = 0, tx_bps = 0, rx_pps = 0, tx_pps = 0;
};

/// The rates of PPPoE user number `user` (README.md): tx = base*(1 + user%50),
/// rx = tx/4, tx_pps = tx/12000, rx_pps = rx/800.
Rates user_rates(uint64_t user, uint64_t rate_base);

/// An interface: physical (etherN) or the dynamic `<pppoe-userNNNN>` of a session.
struct Interface {
  std::string id;  ///< `.id`, e.g. *1 or *1000A
  std::string name;
  std::string type;  ///< ether | pppoe-in
  bool dynamic = false;
  int64_t created_ns = 0;  ///< counters grow from here (wall clock ns)
  Rates rates;
  std::string monitor_words;  ///< pre-encoded monitor-traffic attribute words (hot path)
};

struct PppSession {
  uint64_t user = 0;    ///< global user number (1-based)
  uint64_t serial = 0;  ///< per-router session counter: .id and session-id
  int64_t start_ns = 0;
  std::string id;    ///< `.id` (*<serial hex>)
  std::string name;  ///< user0001
  Interface iface;
};

class RouterModel {
 public:
  RouterModel(int index, const Scenario& s, int64_t start_ns);

  int index() const { return index_; }
  const std::string& identity() const { return identity_; }

  /// Row builders (full rows; the connection applies .proplist and queries).
  std::vector<Row> ppp_active_rows(int64_t now_ns) const;
  Row ppp_active_row(const PppSession& p, int64_t now_ns) const;
  std::vector<Row> interface_rows(int64_t now_ns) const;
  std::vector<Row> neighbor_rows(int64_t now_ns) const;  ///< model_neighbors.cpp
  NeighborTable& neighbors() { return neighbors_; }
  /// `/queue/simple/print` rows (model_queues.cpp, README.md "Simple queues").
  std::vector<Row> queue_rows(int64_t now_ns) const;
  Row resource_row(int64_t now_ns) const;
  Row identity_row() const { return {{"name", identity_}}; }
  /// One monitor-traffic row (without timestamp / section).
  static Row monitor_row(const Interface& i);

  /// The interface named `name`, or nullptr.
  const Interface* find_interface(const std::string& name) const;
  size_t session_count() const { return sessions_.size(); }

  /// Replaces one random session by a new one (a different user from the pool);
  /// listeners get a `.dead` row for the removed session and a full row for the
  /// new one. No-op when the pool has no spare user or no session.
  void churn_once(int64_t now_ns);

  /// `/ppp/active/listen` subscribers: called with every change row.
  uint64_t add_listener(std::function<void(const Row&)> fn);
  void remove_listener(uint64_t id);

 private:
  void add_session(uint64_t user, int64_t start_ns);
  void index_interface(const Interface& i);

  int index_;
  const Scenario& s_;
  int64_t boot_ns_;
  std::string identity_;
  uint64_t pool_first_ = 1, pool_size_ = 0;
  uint64_t next_serial_ = 1;
  std::vector<Interface> physical_;
  std::map<uint64_t, PppSession> sessions_;             // serial → session
  std::unordered_map<std::string, uint64_t> by_iface_;  // interface name → serial
  std::vector<uint64_t> inactive_users_;
  std::mt19937_64 rng_;
  std::map<uint64_t, std::function<void(const Row&)>> listeners_;
  uint64_t next_listener_ = 1;
  NeighborTable neighbors_;
};

}  // namespace routeros_sim
