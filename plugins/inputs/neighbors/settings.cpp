#include "settings.hpp"

#include <filesystem>

#include <boost/asio/ip/address.hpp>

#include "pg/pg_dsn.hpp"

namespace routerpulse::neighbors {
namespace {

/// `host:port` or `[v6]:port` → endpoint; throws ConfigError at `key` of `o`.
boost::asio::ip::udp::endpoint read_endpoint(const Options& o, const std::string& key, const std::string& def) {
  const std::string text = o.get_string(key, def);
  std::string host = text, port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close != std::string::npos && close + 1 < text.size() && text[close + 1] == ':') {
      host = text.substr(1, close - 1);
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  int p = -1;
  try {
    size_t used = 0;
    p = port.empty() ? -1 : std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (const std::exception&) {
    p = -1;
  }
  if (ec || p < 0 || p > 65535)
    throw o.error(key, "expected an IP address and port like 0.0.0.0:5678 or [::]:5678, got \"" + text + "\"");
  return {addr, static_cast<uint16_t>(p)};
}

}  // namespace

Settings read_settings(const Options& o, const std::string& config_dir) {
  Settings s;
  s.routers = o.strings("routers");
  for (size_t i = 0; i < s.routers.size(); ++i) {
    if (s.routers[i].empty()) throw o.error("routers", "router names must not be empty");
    if (s.routers[i] == "all" && s.routers.size() > 1)
      throw o.error("routers", "`all` cannot be combined with router names");
  }
  s.inventory.candidate_repeat = o.duration("candidate_repeat");
  s.inventory.lost_after = o.duration("lost_after");
  s.max_text = static_cast<size_t>(o.integer("max_text_length"));
  if (o.has("timeout")) s.timeout = o.duration("timeout");
  s.topology_route = o.str("topology_route");
  if (!s.topology_route.empty() && !s.topology_route.starts_with("/"))
    throw o.error("topology_route", "must start with / (or be empty: no route)");

  s.known.rule = targets::NameRule::device;
  s.known.inline_targets = targets::read_inline_targets(o, "known", targets::NameRule::device);
  if (auto file = o.optional_str("known_file")) {
    if (file->empty()) throw o.error("known_file", "must not be empty");
    std::filesystem::path p(*file);
    if (p.is_relative() && !config_dir.empty()) p = std::filesystem::path(config_dir) / p;
    s.known.file = p.string();
    s.known.file_option = o.path() + ".known_file";
    targets::read_targets_file(s.known.file, s.known.file_option, targets::NameRule::device);
  }
  auto query = o.optional_str("known_query");
  auto dsn = o.optional_str("known_dsn");
  auto listen = o.optional_str("known_listen");
  const Duration refresh = o.duration("known_refresh");
  if (query) {
    if (!dsn) throw o.error("known_query", "needs known_dsn: the PostgreSQL connection string");
    try {
      pg::parse_dsn(*dsn);
    } catch (const pg::DsnError& e) {
      throw o.error("known_dsn", e.what());
    }
    targets::QueryConfig q;
    q.dsn = *dsn;
    q.sql = *query;
    q.listen = listen.value_or("");
    q.refresh = refresh;
    q.option = o.path() + ".known_query";
    q.rule = targets::NameRule::device;
    s.known.query = q;
  } else {
    if (dsn) throw o.error("known_dsn", "is only used with known_query");
    if (listen) throw o.error("known_listen", "is only used with known_query");
  }

  YAML::Node m = o.raw("mndp");
  if (m.IsDefined() && !m.IsNull()) {
    if (!m.IsMap()) throw o.error("mndp", "expected a map like {listen: \"0.0.0.0:5678\", solicit_interval: 30s}");
    Options mo = o.child("mndp");
    MndpSettings ms;
    ms.listener.listen = read_endpoint(mo, "listen", "0.0.0.0:5678");
    ms.listener.solicit_interval = mo.get_duration("solicit_interval", std::chrono::seconds(30), Duration::zero());
    ms.listener.solicit_to = read_endpoint(
        mo, "solicit_to", ms.listener.listen.address().is_v4() ? "255.255.255.255:5678" : "[ff02::1]:5678");
    if (ms.listener.solicit_to.address().is_v4() != ms.listener.listen.address().is_v4())
      throw mo.error("solicit_to", "must be of the same address family as listen");
    ms.hold = mo.get_duration("hold", std::chrono::seconds(180), std::chrono::seconds(1));
    mo.check_unknown();
    s.mndp = ms;
  }
  if (s.routers.empty() && !s.mndp) throw o.error("routers", "no routers and no mndp listener: nothing to discover");
  return s;
}

}  // namespace routerpulse::neighbors
