#include "settings.hpp"

#include <filesystem>

#include "pg/pg_dsn.hpp"

namespace routerpulse::arp_presence {

Settings read_settings(const Options& o, const std::string& config_dir) {
  Settings s;
  const std::string source = o.str("source");
  s.source = source == "dhcp" ? Source::dhcp : source == "both" ? Source::both : Source::arp;
  const std::string verify = o.str("verify");
  s.verify = verify == "none" ? Verify::none : verify == "arp-ping" ? Verify::arp_ping : Verify::ping;
  s.max_verifications = static_cast<int>(o.integer("max_verifications"));
  s.verify_concurrency = static_cast<int>(o.integer("verify_concurrency"));
  s.verify_timeout = o.duration("verify_timeout");
  s.offline_after = static_cast<int>(o.integer("offline_after"));
  s.timeout = o.duration("timeout");
  s.lease_max_age_s = std::chrono::duration<double>(o.duration("lease_max_age")).count();
  if (s.verify_timeout > s.timeout)
    throw o.error("verify_timeout", "must not be longer than timeout (the round's deadline)");

  s.targets.inline_targets = targets::read_inline_targets(o, "targets");
  if (auto file = o.optional_str("targets_file")) {
    if (file->empty()) throw o.error("targets_file", "must not be empty");
    std::filesystem::path p(*file);
    if (p.is_relative() && !config_dir.empty()) p = std::filesystem::path(config_dir) / p;
    s.targets.file = p.string();
    s.targets.file_option = o.path() + ".targets_file";
    // Read now so that `routerpulse check` reports bad lines as file:line:col.
    targets::read_targets_file(s.targets.file, s.targets.file_option);
  }
  auto query = o.optional_str("targets_query");
  auto dsn = o.optional_str("targets_dsn");
  auto listen = o.optional_str("targets_listen");
  if (query) {
    if (!dsn) throw o.error("targets_query", "needs targets_dsn: the PostgreSQL connection string");
    try {
      pg::parse_dsn(*dsn);
    } catch (const pg::DsnError& e) {
      throw o.error("targets_dsn", e.what());
    }
    targets::QueryConfig q;
    q.dsn = *dsn;
    q.sql = *query;
    q.listen = listen.value_or("");
    q.refresh = o.duration("targets_refresh");
    q.option = o.path() + ".targets_query";
    s.targets.query = q;
  } else {
    o.duration("targets_refresh");
    if (dsn) throw o.error("targets_dsn", "is only used with targets_query");
    if (listen) throw o.error("targets_listen", "is only used with targets_query");
  }
  // Inline targets must name their router (files and queries are checked per
  // row at run time: a row without one is skipped and logged).
  for (const auto& t : s.targets.inline_targets) {
    bool has_router = false;
    for (const auto& tag : t.tags) has_router |= tag.key == "router" && !tag.value.empty();
    if (!has_router)
      throw o.error("targets",
                    "target " + t.name + " (" + t.origin + ") has no router tag: which router is its gateway");
    if (targets::classify_address(t.name) == targets::AddressKind::hostname)
      throw o.error("targets", "target " + t.name + " (" + t.origin + ") must be an IP address: ARP knows no names");
  }
  return s;
}

}  // namespace routerpulse::arp_presence
