#include "routerpulse/filter.hpp"

#include <fnmatch.h>

namespace routerpulse {

GlobList::GlobList(const std::vector<std::string>& globs) {
  for (const auto& g : globs) {
    size_t meta = g.find_first_of("*?[\\");
    if (meta == std::string::npos)
      exact_.insert(g);
    else if (meta == g.size() - 1 && g.back() == '*')
      prefixes_.push_back(g.substr(0, g.size() - 1));
    else
      globs_.push_back(g);
  }
}

bool GlobList::matches(std::string_view name) const {
  if (!exact_.empty() && exact_.count(std::string(name))) return true;
  for (const auto& p : prefixes_)
    if (name.starts_with(p)) return true;
  if (globs_.empty()) return false;
  std::string n(name);
  for (const auto& g : globs_)
    if (::fnmatch(g.c_str(), n.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace routerpulse
