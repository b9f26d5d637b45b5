#include "settings.hpp"

#include <filesystem>

#include "pg/pg_dsn.hpp"

namespace routerpulse::icmp {

Settings read_settings(const Options& o, const std::string& config_dir) {
  Settings s;
  s.probe.count = static_cast<int>(o.integer("count"));
  s.probe.probe_interval = o.duration("probe_interval");
  s.probe.timeout = o.duration("timeout");
  s.probe.payload = static_cast<size_t>(o.integer("size"));
  s.probe.ttl = static_cast<int>(o.integer("ttl"));
  s.probe.rate = o.number("rate");
  const std::string mode = o.str("mode");
  s.mode = mode == "raw"            ? Prober::ModeChoice::raw
           : mode == "unprivileged" ? Prober::ModeChoice::unprivileged
                                    : Prober::ModeChoice::auto_;
  s.resolve_interval = o.duration("resolve_interval");

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
  return s;
}

}  // namespace routerpulse::icmp
