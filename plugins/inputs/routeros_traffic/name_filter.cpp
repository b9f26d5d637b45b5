// routeros_traffic — user and interface selection (see name_filter.hpp).
#include "name_filter.hpp"

#include <fnmatch.h>

#include "routerpulse/config.hpp"

namespace routerpulse::routeros_traffic {

bool matches_any(const std::vector<std::string>& globs, const std::string& name) {
  for (const auto& g : globs)
    if (::fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

UserFilter::UserFilter(const Options& o) {
  YAML::Node n = o.raw("pppoe");
  if (n.IsDefined() && !n.IsNull()) {
    if (n.IsScalar()) {
      if (n.Scalar() == "all") mode_ = Mode::all;
      else if (n.Scalar() == "none") mode_ = Mode::none;
      else throw o.error("pppoe", "expected `all`, `none` or a list of PPPoE user names, got \"" + n.Scalar() + "\"");
    } else if (n.IsSequence()) {
      mode_ = Mode::list;
      for (const auto& u : o.get_string_list("pppoe", {})) {
        if (u.empty()) throw o.error("pppoe", "user names must not be empty");
        users_.insert(u);
      }
    } else {
      throw o.error("pppoe", "expected `all`, `none` or a list of PPPoE user names, got " + describe_node(n));
    }
  }
  include_ = o.get_string_list("include", {});
  exclude_ = o.get_string_list("exclude", {});
}

bool UserFilter::accepts(const std::string& name) const {
  if (mode_ == Mode::none) return false;
  if (mode_ == Mode::list && !users_.count(name)) return false;
  if (!include_.empty() && !matches_any(include_, name)) return false;
  return !matches_any(exclude_, name);
}

}  // namespace routerpulse::routeros_traffic
