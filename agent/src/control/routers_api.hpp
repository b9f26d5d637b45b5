// The control API's router views (docs/CONTROL_API.md), served by the agent
// itself from the sessions of the `routers:` section:
//
//   GET /api/v1/routers                      every router: host, port, session
//       state and since when, identity, version, API latency, last error
//   GET /api/v1/routers/{router}/resource    a live `/system/resource/print`
//       with a short deadline (`?timeout_ms=`, default 2000, 100–10000); when
//       it fails or times out, the last good answer with `"stale": true` and
//       its `age_ms`; 503 only when there never was an answer; 404 for an
//       unknown router.
//
// The session's own liveness decides reconnects (routeros/session.hpp); this
// only reads its state through observe_state() and issues one-shot commands,
// which the session queues while the router is down (their timeout runs).
// Identity and version are read once each time a session comes up.
//
// Threading: construct, start() and stop() from one thread. Handlers run on
// the HTTP server's strand, command callbacks on the session strands; the
// shared state is behind one mutex. Callbacks hold the state weakly, so they
// are harmless after stop() or destruction.
#pragma once

#include <chrono>
#include <memory>

#include "routerpulse/clock.hpp"
#include "routerpulse/http.hpp"

namespace routerpulse::routeros {
class RouterRegistry;
}

namespace routerpulse::control {

class RoutersApi {
 public:
  /// `http`, `routers` and `clock` must outlive the object (stop() first).
  RoutersApi(HttpRoutes& http, routeros::RouterRegistry& routers, Clock& clock);
  ~RoutersApi();
  RoutersApi(const RoutersApi&) = delete;
  RoutersApi& operator=(const RoutersApi&) = delete;

  /// Observes every session and registers the routes.
  void start();
  /// Removes the routes and stops observing. Idempotent.
  void stop();

  struct State;

 private:
  HttpRoutes& http_;
  routeros::RouterRegistry& routers_;
  std::shared_ptr<State> state_;
  bool started_ = false;
};

}  // namespace routerpulse::control
