// routeros_traffic — PPPoE user selection (see user_filter.hpp).
#include "user_filter.hpp"

#include "routerpulse/config.hpp"

namespace routerpulse::routeros_traffic {

UserFilter::UserFilter(const Options& o) : names_(o.strings("include"), o.strings("exclude")) {
  YAML::Node n = o.raw("pppoe");
  if (!n.IsDefined()) n = YAML::Load(o.spec("pppoe")->default_value);  // the table's default
  if (n.IsScalar()) {
    if (n.Scalar() == "all")
      mode_ = Mode::all;
    else if (n.Scalar() == "none")
      mode_ = Mode::none;
    else
      throw o.error("pppoe", "expected `all`, `none` or a list of PPPoE user names, got \"" + n.Scalar() + "\"");
  } else if (n.IsSequence()) {
    mode_ = Mode::list;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string path = "pppoe[" + std::to_string(i) + "]";
      if (!n[i].IsScalar()) throw o.error_at(n[i], path, "expected a PPPoE user name, got " + describe_node(n[i]));
      if (n[i].Scalar().empty()) throw o.error_at(n[i], path, "user names must not be empty");
      users_.insert(n[i].Scalar());
    }
  } else {
    throw o.error("pppoe", "expected `all`, `none` or a list of PPPoE user names, got " + describe_node(n));
  }
}

bool UserFilter::accepts(std::string_view name) const {
  if (mode_ == Mode::none) return false;
  if (mode_ == Mode::list && users_.find(name) == users_.end()) return false;
  return names_.accepts(name);
}

}  // namespace routerpulse::routeros_traffic
