#include "settings.hpp"

#include <set>

#include "pg_shared.hpp"

namespace routerpulse::pg_enrich {

namespace {

bool blank(const std::string& v) { return v.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string require_nonempty(const Options& o, const std::string& key) {
  std::string v = o.str(key);  // required in the table: absent is a ConfigError already
  if (blank(v)) throw o.error(key, "must not be empty");
  return v;
}

}  // namespace

Settings Settings::read(const Options& o) {
  Settings s;
  s.dsn = require_nonempty(o, "dsn");
  try {
    parse_dsn(s.dsn);  // PQconninfoParse: syntax only, never connects
  } catch (const DsnError& e) {
    throw o.error("dsn", e.what());
  }
  s.key_tag = require_nonempty(o, "key_tag");
  s.query = require_nonempty(o, "query");

  // Neither tags nor fields is allowed: the processor then only tells known
  // keys from unknown ones (on_miss), e.g. `on_miss: drop` keeps known customers.
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
        throw o.error(key,
                      "two columns would both become " + std::string(is_tag ? "tag" : "field") + " \"" + out + "\"");
      s.columns.push_back(ColumnSpec{c, out, is_tag});
    }
  };
  add(o.strings("tags"), true, "tags");
  add(o.strings("fields"), false, "fields");
  for (const auto& [from, to] : renames) {
    bool listed = false;
    for (const auto& c : s.columns) listed = listed || c.column == from;
    if (!listed) throw o.error("rename", "column \"" + from + "\" is not listed under `tags` or `fields`");
  }

  s.preload_query = o.optional_str("preload_query");
  if (s.preload_query && blank(*s.preload_query))
    throw o.error("preload_query", "must not be empty (leave the option out instead)");
  s.refresh_interval = o.duration("refresh_interval");
  s.preload_timeout = o.duration("preload_timeout");
  s.ttl = o.duration("ttl");
  s.negative_ttl = o.duration("negative_ttl");
  s.lookup_timeout = o.duration("lookup_timeout");
  const std::string miss = o.str("on_miss");
  s.on_miss = miss == "pass" ? OnMiss::pass : miss == "drop" ? OnMiss::drop : OnMiss::tag;
  s.listen_channel = o.optional_str("listen_channel");
  if (s.listen_channel && s.listen_channel->empty()) throw o.error("listen_channel", "must not be empty");
  s.connect_timeout = o.duration("connect_timeout");
  s.query_timeout = o.duration("query_timeout");
  s.reconnect_initial = o.duration("reconnect_initial");
  s.reconnect_max = o.duration("reconnect_max");
  if (s.reconnect_max < s.reconnect_initial)
    throw o.error("reconnect_max",
                  "must not be shorter than reconnect_initial (" + format_duration(s.reconnect_initial) + ")");
  s.max_in_flight = static_cast<size_t>(o.integer("max_in_flight"));
  s.max_pending = static_cast<size_t>(o.integer("max_pending_lookups"));
  s.cache_max_entries = static_cast<size_t>(o.integer("cache_max_entries"));
  s.error_log_interval = o.duration("error_log_interval");
  return s;
}

}  // namespace routerpulse::pg_enrich
