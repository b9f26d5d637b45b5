// The live page's files, embedded at build time (ui/embed.cmake generates
// the definition from ui/ and uPlot from npm; see agent/CMakeLists.txt).
#pragma once

#include <cstddef>
#include <vector>

namespace routerpulse::control {

struct UiAsset {
  const char* path;          ///< URL path, e.g. "/ui/app.js"
  const char* content_type;  ///< e.g. "text/javascript" (served with charset=utf-8)
  const unsigned char* data;
  size_t size;
};

/// Every embedded file (empty when the build had no npm: the page is absent).
const std::vector<UiAsset>& ui_assets();

}  // namespace routerpulse::control
