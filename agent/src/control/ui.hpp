// The live page at /ui/ (docs/CONTROL_API.md, "Live page"): a small static
// page served from assets embedded in the binary (no CDN): router list,
// customer search over tracked sessions, a live download/upload graph (uPlot)
// from /api/v1/traffic/stream. The page itself needs no key (it contains no
// data); every API call it makes sends the key the user enters once.
#pragma once

#include <string>
#include <vector>

#include "routerpulse/http.hpp"

namespace routerpulse::control {

/// Adds `/ui` (redirect), `/ui/` and every embedded asset as unprotected
/// routes; no-op when the build embedded no assets. Returns the paths added.
std::vector<std::string> add_ui_routes(HttpRoutes& http);

}  // namespace routerpulse::control
