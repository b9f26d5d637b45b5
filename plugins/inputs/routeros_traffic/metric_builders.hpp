// routeros_traffic — turns RouterOS replies into the input's metrics.
//
// Direction (pppoe_traffic): fields say the CUSTOMER's direction in words. On
// a PPPoE server (BRAS) the router's `<pppoe-USER>` interface transmits
// (`tx-…`) what the customer downloads and receives (`rx-…`) what the
// customer uploads, so:
//   download_bits_per_second    ← tx-bits-per-second
//   upload_bits_per_second      ← rx-bits-per-second
//   download_packets_per_second ← tx-packets-per-second
//   upload_packets_per_second   ← rx-packets-per-second
//   download_drops_per_second   ← tx-drops-per-second
//   upload_drops_per_second     ← rx-drops-per-second
//   download_errors_per_second  ← tx-errors-per-second
//   upload_errors_per_second    ← rx-errors-per-second
// Source of the property names: RouterOS manual, Interface → "Traffic
// monitor" (`/interface/monitor-traffic`). The `interface` and
// `interface_rate` metrics (interface_counters.hpp) keep the ROUTER's rx/tx.
//
// Threading: pure functions and plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pppoe_session.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::routeros_traffic {

/// `.proplist` for monitor-traffic: `name` plus the eight rate properties.
const std::vector<std::string>& monitor_traffic_proplist();

/// An empty pppoe_traffic metric (gauge) with the tags router, pppoe_user,
/// interface, caller_id (omitted when empty); copied for every sample.
Metric pppoe_traffic_prototype(const std::string& router, const PppoeSession& s);

/// What fill_traffic_sample found besides the fields.
struct SampleInfo {
  int64_t sent_ns = 0;     ///< `=.sim-sent-ns=` (routeros-sim), 0 when absent
  bool bad_value = false;  ///< a rate property was not a number (it is left out)
};

/// Sets the pppoe_traffic fields (uint64, per second, customer's direction) from a
/// monitor-traffic `!re`. Properties that are absent are left out.
SampleInfo fill_traffic_sample(Metric& m, const routeros::Reply& r);
/// The same from a zero-copy row (SampleSink).
SampleInfo fill_traffic_sample(Metric& m, const routeros::RowView& r);

/// pppoe_session (gauge): tags router, pppoe_user, caller_id, interface;
/// fields address, session_id, encoding (strings; empty ones left out),
/// uptime_seconds (int64 at `now`), monitored (bool). Time `time_ns`.
Metric pppoe_session_metric(const std::string& router, const PppoeSession& s, bool monitored, SteadyTime now,
                            int64_t time_ns);

/// Values kept from a successful `/system/resource/print`.
struct SystemInfo {
  double uptime_seconds = -1;  ///< -1 when unknown
};

/// routeros_system (gauge) from `/system/resource/print` (`resource`) and
/// `/system/identity/print` (`identity`, may be null): tag router; fields
/// up=true, cpu_load_percent, free_memory_bytes, total_memory_bytes,
/// free_hdd_bytes, total_hdd_bytes, uptime_seconds (numbers; unparsable ones left
/// out and counted in `bad_values`), version, board_name, identity (strings).
Metric routeros_system_metric(const std::string& router, const routeros::Reply& resource,
                              const routeros::Reply* identity, int64_t time_ns, SystemInfo& info, int& bad_values);

/// routeros_system for a router that did not answer: tag router, field up=false.
Metric routeros_system_down(const std::string& router, int64_t time_ns);

}  // namespace routerpulse::routeros_traffic
