#include "settings.hpp"

#include <set>

#include "pg_dsn.hpp"

namespace routerpulse::pg_enrich {

namespace {

Duration positive_duration(const Options& o, const std::string& key, Duration def) {
  Duration d = o.get_duration(key, def);
  if (d <= Duration::zero()) throw o.error(key, "must be greater than 0");
  return d;
}

std::string require_nonempty(const Options& o, const std::string& key) {
  std::string v = o.require_string(key);
  if (v.find_first_not_of(" \t\r\n") == std::string::npos) throw o.error(key, "must not be empty");
  return v;
}

}  // namespace

Settings Settings::read(const Options& o) {
  Settings s;
  s.dsn = require_nonempty(o, "dsn");
  try {
    parse_dsn(s.dsn);
  } catch (const DsnError& e) {
    throw o.error("dsn", e.what());
  }
  s.key_tag = require_nonempty(o, "key_tag");
  s.query = require_nonempty(o, "query");

  auto tags = o.get_string_list("tags", {});
  auto fields = o.get_string_list("fields", {});
  if (tags.empty() && fields.empty())
    throw o.error("", "name at least one result column under `tags` or `fields`");
  auto renames = o.get_string_map("rename");
  std::set<std::string> outputs;
  auto add = [&](const std::vector<std::string>& cols, bool is_tag, const char* key) {
    std::set<std::string> seen;
    for (const auto& c : cols) {
      if (c.empty()) throw o.error(key, "column names must not be empty");
      if (!seen.insert(c).second) throw o.error(key, "column \"" + c + "\" is listed twice");
      std::string out = c;
      for (const auto& [from, to] : renames)
        if (from == c) out = to;
      if (out.empty()) throw o.error("rename", "the new name for \"" + c + "\" must not be empty");
      if (!outputs.insert(std::string(is_tag ? "t:" : "f:") + out).second)
        throw o.error(key, "two columns would both become " + std::string(is_tag ? "tag" : "field") + " \"" +
                               out + "\"");
      s.columns.push_back(ColumnSpec{c, out, is_tag});
    }
  };
  add(tags, true, "tags");
  add(fields, false, "fields");
  for (const auto& [from, to] : renames) {
    bool listed = false;
    for (const auto& c : s.columns) listed = listed || c.column == from;
    if (!listed) throw o.error("rename", "column \"" + from + "\" is not listed under `tags` or `fields`");
  }

  s.preload_query = o.get_optional_string("preload_query");
  if (s.preload_query && s.preload_query->find_first_not_of(" \t\r\n") == std::string::npos)
    throw o.error("preload_query", "must not be empty (leave the option out instead)");
  s.refresh_interval = o.get_duration("refresh_interval", s.refresh_interval);
  s.preload_timeout = positive_duration(o, "preload_timeout", s.preload_timeout);
  s.ttl = positive_duration(o, "ttl", s.ttl);
  s.negative_ttl = o.get_duration("negative_ttl", s.negative_ttl);
  s.lookup_timeout = o.get_duration("lookup_timeout", s.lookup_timeout);
  auto miss = o.get_enum("on_miss", "tag", {"pass", "drop", "tag"});
  s.on_miss = miss == "pass" ? OnMiss::pass : miss == "drop" ? OnMiss::drop : OnMiss::tag;
  s.listen_channel = o.get_optional_string("listen_channel");
  if (s.listen_channel && s.listen_channel->empty()) throw o.error("listen_channel", "must not be empty");
  s.connect_timeout = positive_duration(o, "connect_timeout", s.connect_timeout);
  s.query_timeout = positive_duration(o, "query_timeout", s.query_timeout);
  s.reconnect_min = positive_duration(o, "reconnect_min_interval", s.reconnect_min);
  s.reconnect_max = positive_duration(o, "reconnect_max_interval", s.reconnect_max);
  if (s.reconnect_max < s.reconnect_min)
    throw o.error("reconnect_max_interval", "must not be shorter than reconnect_min_interval (" +
                                                format_duration(s.reconnect_min) + ")");
  s.max_in_flight = static_cast<size_t>(o.get_int("max_in_flight", 256, 1, 100000));
  s.max_pending = static_cast<size_t>(o.get_int("max_pending_lookups", 100000, 0, 100000000));
  s.cache_max_entries = static_cast<size_t>(o.get_int("cache_max_entries", 1000000, 1, 1000000000));
  s.error_log_interval = positive_duration(o, "error_log_interval", s.error_log_interval);
  s.validate = o.get_bool("validate", true);
  s.validate_timeout = positive_duration(o, "validate_timeout", s.validate_timeout);
  return s;
}

}  // namespace routerpulse::pg_enrich
