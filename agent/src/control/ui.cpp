// The live page routes (ui.hpp).
#include "control/ui.hpp"

#include <string>
#include <vector>

#include "control/ui_assets.hpp"

namespace routerpulse::control {

std::vector<std::string> add_ui_routes(HttpRoutes& http) {
  std::vector<std::string> added;
  const auto& assets = ui_assets();
  if (assets.empty()) return added;
  for (const auto& a : assets) {
    auto handler = [&a](const HttpRequest&, HttpResponse& res) {
      res.content_type = std::string(a.content_type) + "; charset=utf-8";
      res.body.assign(reinterpret_cast<const char*>(a.data), a.size);
      res.headers["Cache-Control"] = "no-cache";
      // Everything comes from the agent itself (no CDN, no inline script).
      res.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
      res.headers["X-Content-Type-Options"] = "nosniff";
    };
    http.add_route(a.path, handler, false);
    added.push_back(a.path);
  }
  http.add_route(
      "/ui",
      [](const HttpRequest&, HttpResponse& res) {
        res.status = 301;
        res.headers["Location"] = "/ui/";
      },
      false);
  added.push_back("/ui");
  return added;
}

}  // namespace routerpulse::control
