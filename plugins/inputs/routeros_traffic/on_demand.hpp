// routeros_traffic — on-demand customer monitoring through the control API
// (docs/CONTROL_API.md, "On-demand monitors").
//
// POST /api/v1/monitors {"user": U[, "router": R][, "ttl_seconds": N]} starts
// a live `/interface/monitor-traffic interface=<pppoe-U>` for a customer the
// input does not stream continuously (over `max_monitors`, filtered by
// pppoe/include/exclude, or `pppoe: none`). Its samples are pppoe_traffic
// metrics tagged `on_demand=true`; they flow through the pipeline and to SSE
// subscribers like any other. Each monitor ends by itself after its TTL
// (`on_demand_ttl`, or ttl_seconds; POSTing the same user again extends it);
// DELETE /api/v1/monitors/{id} ends it at once. At most `max_on_demand` per
// router (429 beyond).
//
// Where the customer is: the PPPoE sessions the input already tracks, else
// one `/ppp/active/print ?name=U` per router (RouterOS manual, PPP → Active
// users).
//
// Threading: everything on the input's strand (callers post there); the
// stream's rows go to a SampleSink on the router session's strand.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "routerpulse/api.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/session.hpp"

namespace routerpulse::routeros_traffic {

class TrafficInput;
class RouterTraffic;
class SampleSink;

class OnDemand {
 public:
  explicit OnDemand(TrafficInput& input);
  ~OnDemand();

  /// start(): one entry per router part (creates its on-demand sink).
  void add_router(RouterTraffic& part);
  /// Router → the sink of its on-demand samples (thread-safe once started).
  std::vector<std::pair<std::string, std::shared_ptr<SampleSink>>> sinks() const;

  /// Starts or extends a monitor. Answers 201/200, 404 (unknown user: `next`
  /// is called instead when set, to try another instance), 409, 429.
  void create(const std::string& user, const std::string& router, Duration ttl, ApiReply reply,
              std::function<void(ApiReply)> next);
  /// Appends this input's monitors and per-router free slots.
  void list(std::vector<std::string>& monitors, std::map<std::string, int64_t>& slots) const;
  /// Ends monitor `id`; false when it is not this input's.
  bool remove(const std::string& id);
  /// Ends every monitor (input stop).
  void stop();

 private:
  struct Monitor;
  struct Router {
    RouterTraffic* part;
    std::shared_ptr<SampleSink> sink;
  };
  void start_monitor(Router& r, const std::string& user, const std::string& iface, const std::string& caller_id,
                     Duration ttl, ApiReply reply);
  void end(const std::string& id, const char* why);
  std::string monitor_json(const Monitor& m) const;
  size_t count_on(const std::string& router) const;

  TrafficInput& input_;
  std::vector<Router> routers_;
  std::map<std::string, std::unique_ptr<Monitor>> monitors_;  // id → monitor
  bool stopped_ = false;
};

}  // namespace routerpulse::routeros_traffic
