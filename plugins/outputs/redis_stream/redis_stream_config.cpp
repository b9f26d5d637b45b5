#include "redis_stream_config.hpp"

#include "stream_key.hpp"

namespace routerpulse::redis {
namespace {

Duration positive_duration(const Options& o, const std::string& key, Duration def) {
  Duration d = o.get_duration(key, def);
  if (d <= Duration::zero()) throw o.error(key, "must be greater than 0");
  return d;
}

}  // namespace

RedisStreamConfig read_config(const Options& o) {
  RedisStreamConfig c;
  std::string url = o.get_string("url", "redis://127.0.0.1:6379/0");
  try {
    c.client.endpoint = parse_redis_url(url);
  } catch (const RedisUrlError& e) {
    throw o.error("url", e.what());
  }
  // Separate credentials override the URL's, so secrets can come from ${env:...}
  // without percent-encoding.
  if (auto u = o.get_optional_string("username")) c.client.endpoint.username = *u;
  if (auto p = o.get_optional_string("password")) c.client.endpoint.password = *p;
  if (!c.client.endpoint.username.empty() && c.client.endpoint.password.empty())
    throw o.error("username", "a username needs a password");
  if (o.has("db")) c.client.endpoint.db = static_cast<int>(o.get_int("db", 0, 0, 1 << 20));

  c.client.connect_timeout = positive_duration(o, "connect_timeout", c.client.connect_timeout);
  c.client.command_timeout = positive_duration(o, "command_timeout", c.client.command_timeout);
  c.client.reconnect_initial = positive_duration(o, "reconnect_initial", c.client.reconnect_initial);
  c.client.reconnect_max = positive_duration(o, "reconnect_max", c.client.reconnect_max);
  if (c.client.reconnect_max < c.client.reconnect_initial)
    throw o.error("reconnect_max", "must be at least reconnect_initial");

  c.stream = o.get_string("stream", c.stream);
  try {
    StreamKeyTemplate check(c.stream);
  } catch (const StreamKeyError& e) {
    throw o.error("stream", e.what());
  }
  c.missing_tag_value = o.get_string("missing_tag_value", c.missing_tag_value);

  c.format = o.get_enum("format", "json", {"json", "fields"}) == "json" ? EntryFormat::json : EntryFormat::fields;
  c.tag_prefix = o.get_string("tag_prefix", "");
  c.field_prefix = o.get_string("field_prefix", "");
  if (c.format == EntryFormat::json && (o.has("tag_prefix") || o.has("field_prefix")))
    throw o.error(o.has("tag_prefix") ? "tag_prefix" : "field_prefix", "only applies to format: fields");

  if (o.has("maxlen") && o.has("minid_age"))
    throw o.error("minid_age", "set either maxlen or minid_age: XADD accepts one trimming strategy");
  c.maxlen = o.get_int("maxlen", c.maxlen, 0);
  if (o.has("minid_age")) {
    c.minid_age = positive_duration(o, "minid_age", std::chrono::seconds(1));
    if (*c.minid_age < std::chrono::milliseconds(1))
      throw o.error("minid_age", "must be at least 1ms (stream IDs have millisecond resolution)");
    c.maxlen = 0;
  }
  c.approximate_trim = o.get_bool("approximate_trim", true);

  c.consumer_group = o.get_string("consumer_group", "");
  c.consumer_group_start_id = o.get_string("consumer_group_start_id", "$");
  if (c.consumer_group_start_id.empty()) throw o.error("consumer_group_start_id", "must not be empty (use $ or 0)");
  if (c.consumer_group.empty() && o.has("consumer_group_start_id"))
    throw o.error("consumer_group_start_id", "only applies when consumer_group is set");
  return c;
}

}  // namespace routerpulse::redis
