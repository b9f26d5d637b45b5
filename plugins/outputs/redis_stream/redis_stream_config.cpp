#include "redis_stream_config.hpp"

#include "stream_key.hpp"

namespace routerpulse::redis {

RedisStreamConfig read_config(const Options& o) {
  RedisStreamConfig c;
  ConnectionSettings& conn = c.connection;
  try {
    conn.endpoint = parse_redis_url(o.str("url"));
  } catch (const RedisUrlError& e) {
    throw o.error("url", e.what());
  }
  // Separate credentials override the URL's, so secrets can come from
  // ${env:...} or ${file:...} without percent-encoding.
  if (auto u = o.optional_str("username")) conn.endpoint.username = *u;
  if (auto p = o.optional_str("password")) conn.endpoint.password = *p;
  if (!conn.endpoint.username.empty() && conn.endpoint.password.empty())
    throw o.error(o.has("username") ? "username" : "url", "a username needs a password");
  if (o.has("db")) conn.endpoint.db = static_cast<int>(o.integer("db"));

  // Positive durations are checked by the table (.min = kPositive).
  conn.connect_timeout = o.duration("connect_timeout");
  conn.command_timeout = o.duration("command_timeout");
  conn.reconnect_initial = o.duration("reconnect_initial");
  conn.reconnect_max = o.duration("reconnect_max");
  if (conn.reconnect_max < conn.reconnect_initial) {
    if (o.has("reconnect_max"))
      throw o.error("reconnect_max",
                    "must be at least reconnect_initial (" + format_duration(conn.reconnect_initial) + ")");
    throw o.error("reconnect_initial", "must not exceed reconnect_max (" + format_duration(conn.reconnect_max) + ")");
  }

  c.stream = o.str("stream");
  try {
    StreamKeyTemplate check(c.stream);
  } catch (const StreamKeyError& e) {
    throw o.error("stream", e.what());
  }
  c.missing_tag_value = o.str("missing_tag_value");

  c.format = o.str("format") == "fields" ? EntryFormat::fields : EntryFormat::json;
  c.tag_prefix = o.str("tag_prefix");
  c.field_prefix = o.str("field_prefix");
  if (c.format == EntryFormat::json) {
    if (!c.tag_prefix.empty()) throw o.error("tag_prefix", "only applies to format: fields");
    if (!c.field_prefix.empty()) throw o.error("field_prefix", "only applies to format: fields");
  }

  if (o.has("maxlen") && o.has("minid_age"))
    throw o.error("minid_age", "set either maxlen or minid_age: XADD accepts one trimming strategy");
  c.maxlen = o.integer("maxlen");
  if (o.has("minid_age")) {
    c.minid_age = o.duration("minid_age");  // >= 1ms by the table: stream IDs have millisecond resolution
    c.maxlen = 0;
  }
  c.approximate_trim = o.boolean("approximate_trim");

  c.consumer_group = o.optional_str("consumer_group").value_or("");
  c.consumer_group_start_id = o.str("consumer_group_start_id");
  if (c.consumer_group_start_id.empty()) throw o.error("consumer_group_start_id", "must not be empty (use $ or 0)");
  if (c.consumer_group.empty() && o.has("consumer_group_start_id"))
    throw o.error("consumer_group_start_id", "only applies when consumer_group is set");
  return c;
}

}  // namespace routerpulse::redis
