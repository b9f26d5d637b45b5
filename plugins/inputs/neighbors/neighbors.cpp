// Input `neighbors`: inventory and hierarchy from each router's
// `/ip/neighbor` table (MNDP/CDP/LLDP as RouterOS sees them) and, optionally,
// the agent's own MNDP listener; devices not in the known list become
// candidates (issue 16). Parts: neighbor.hpp (rows), inventory.hpp (state and
// events), mndp_packet.hpp / mndp_listener.hpp (MNDP), settings.hpp.
#include <filesystem>
#include <map>
#include <mutex>

#include "inventory.hpp"
#include "mndp_listener.hpp"
#include "routerpulse/http.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "settings.hpp"
#include "targets/target_list.hpp"

namespace routerpulse {
namespace {

using neighbors::Inventory;
using neighbors::Neighbor;

/// Most MNDP devices kept: announcements are unauthenticated broadcasts, so a
/// flood of invented MACs must not grow the table without bound.
constexpr size_t kMaxMndpDevices = 10000;

class NeighborsInput final : public Input {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "routers",
       .type = OptionType::string_list,
       .default_value = "all",
       .doc = "router names from the `routers:` section, `all`, or [] for the MNDP listener alone"},
      {.name = "known",
       .type = OptionType::list,
       .doc = "known devices: \"MAC/address/identity [tag=value ...]\" strings or {device: ..., tags: {...}} maps",
       .example = "[\"4C:5E:0C:11:22:33 site=north\", {device: sector-north-1, tags: {role: ap}}]"},
      {.name = "known_file",
       .type = OptionType::string,
       .doc = "file with one \"MAC/address/identity [tag=value ...]\" per line; re-read when it changes"},
      {.name = "known_query",
       .type = OptionType::string,
       .doc = "PostgreSQL query returning a device column (MAC, address or identity) plus tag columns"},
      {.name = "known_dsn", .type = OptionType::string, .doc = "libpq connection string for known_query"},
      {.name = "known_refresh",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "how often known_query runs again (0 = only at connect and on NOTIFY)",
       .min = 0},
      {.name = "known_listen",
       .type = OptionType::string,
       .doc = "PostgreSQL NOTIFY channel that makes known_query run again at once"},
      {.name = "candidate_repeat",
       .type = OptionType::duration,
       .default_value = "24h",
       .doc = "an unknown device still seen is offered as a candidate again after this long",
       .min = kPositive},
      {.name = "lost_after",
       .type = OptionType::duration,
       .default_value = "10m",
       .doc = "a known device not seen for this long emits event=lost",
       .min = kPositive},
      {.name = "max_text_length",
       .type = OptionType::integer,
       .default_value = "64",
       .doc = "bytes kept of identities, platforms and other strings from the devices (cut on a character)",
       .min = 8,
       .max = 1024},
      {.name = "timeout",
       .type = OptionType::duration,
       .doc = "per-print timeout (default: the router's timeout)",
       .min = kPositive},
      {.name = "mndp",
       .type = OptionType::map,
       .doc = "the agent's own MNDP listener: {listen, solicit_interval, solicit_to, hold}; absent = off",
       .example = "{listen: \"0.0.0.0:5678\", solicit_interval: 30s}"},
      {.name = "topology_route",
       .type = OptionType::string,
       .default_value = "/api/v1/topology",
       .doc = "HTTP route of the topology JSON on the agent's server (empty = none)"},
  };

  static constexpr const char* sample_context = "routers:\n  r1:\n    host: 192.0.2.1\n    username: monitor\n";

  static void validate(const Options& o) {
    neighbors::read_settings(o, std::filesystem::path(o.file()).parent_path().string());
  }

  NeighborsInput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        s_(neighbors::read_settings(o, ctx.config_dir)),
        inventory_(s_.inventory),
        log_(ctx.log, ctx.clock, std::chrono::seconds(60)),
        rounds_(ctx.self_metrics.counter("rounds_total", "Gather rounds completed")),
        skipped_(ctx.self_metrics.counter("rows_skipped_total", "Neighbor rows without a usable mac-address")),
        mndp_packets_(ctx.self_metrics.counter("mndp_announcements_total", "MNDP announcements heard")),
        mndp_malformed_(ctx.self_metrics.counter("mndp_malformed_total", "MNDP datagrams refused as malformed")),
        mndp_solicits_(ctx.self_metrics.counter("mndp_solicitations_sent_total", "MNDP refresh datagrams sent")),
        mndp_send_errors_(ctx.self_metrics.counter("mndp_send_errors_total",
                                                   "MNDP refresh datagrams the kernel refused (no route?)")),
        mndp_full_(ctx.self_metrics.counter("mndp_table_full_total",
                                            "MNDP announcements of new devices ignored: 10,000 devices held")),
        devices_(ctx.self_metrics.gauge("devices", "Distinct MACs seen in the last round")),
        candidates_(ctx.self_metrics.gauge("candidates", "Devices seen in the last round that are not known")),
        known_(ctx.self_metrics.gauge("known_devices", "Entries of the known list")),
        lost_(ctx.self_metrics.gauge("known_lost", "Known devices currently lost")) {
    for (const char* e : {"candidate", "lost", "found"})
      events_[e] = &ctx.self_metrics.counter("events_total", "neighbor_event metrics emitted", {{"event", e}});
    if (!s_.routers.empty()) {
      if (!ctx.routers) throw o.error("routers", "this input needs routers, but agent.yaml has no `routers:` section");
      std::vector<std::string> names = s_.routers;
      if (names.size() == 1 && names[0] == "all") {
        names = ctx.routers->names();
        if (names.empty() && !s_.mndp) throw o.error("routers", "`routers: all`, but the `routers:` section is empty");
      }
      for (const auto& name : names) {
        auto session = ctx.routers->find(name);
        if (!session) throw o.error("routers", "unknown router \"" + name + "\" (not in routers:)");
        routers_.push_back(
            {name, session,
             &ctx.self_metrics.counter("print_errors_total", "/ip/neighbor/print that failed", {{"router", name}})});
      }
    }
    list_ = std::make_shared<targets::TargetList>(ctx.strand, ctx.clock, ctx.log, s_.known);
  }

  void start() override {
    list_->start();
    if (s_.mndp) {
      mndp_ = std::make_shared<neighbors::MndpListener>(
          ctx_.strand, ctx_.clock, s_.mndp->listener,
          [this](const neighbors::MndpAnnouncement& a, const std::string& iface) { heard(a, iface); },
          [this](const std::string& from, const std::string& why) {
            mndp_malformed_.inc();
            log_.log(spdlog::level::warn, "mndp", "malformed MNDP datagram from " + from + ": " + why);
          });
      std::string err = mndp_->open();
      if (!err.empty()) {
        ctx_.log->error("{}", err);
        ctx_.health.sub("mndp").set(HealthState::unhealthy, err);
        mndp_.reset();
      } else {
        mndp_->start();
        ctx_.log->info("MNDP listener on port {}", mndp_->port());
      }
    }
    if (ctx_.http && !s_.topology_route.empty()) {
      route_added_ = true;
      ctx_.http->add_route(s_.topology_route, [w = std::weak_ptr<Component>(weak_from_this()), this](
                                                  const HttpRequest& req, HttpResponse& res) {
        auto self = w.lock();
        if (!self) {
          res.status = 503;
          res.body = "stopped\n";
          return;
        }
        if (req.method != "GET") {
          res.status = 405;
          res.body = "GET only\n";
          return;
        }
        std::lock_guard lock(topology_mu_);
        res.content_type = "application/json";
        res.body = topology_.empty() ? std::string("{\"routers\":[],\"lost\":[]}") : topology_;
      });
    }
  }

  void stop(std::function<void()> done) override {
    stopped_ = true;
    if (route_added_ && ctx_.http) ctx_.http->remove_route(s_.topology_route);
    if (mndp_) mndp_->stop();
    list_->stop();
    if (gather_done_) std::exchange(gather_done_, nullptr)();
    done();
  }

  void gather(std::function<void()> done) override {
    if (stopped_ || gather_done_) return done();
    if (list_->check_file() || list_->version() != known_version_) {
      known_version_ = list_->version();
      inventory_.set_known(*list_->current());
    }
    gather_done_ = std::move(done);
    failed_ = 0;
    pending_ = routers_.size();
    const uint64_t round = ++round_;
    routeros::Command cmd("/ip/neighbor/print");
    cmd.proplist(std::vector<std::string>(std::begin(neighbors::kProplist), std::end(neighbors::kProplist)));
    routeros::CommandOptions opts;
    opts.executor = ctx_.strand;
    if (s_.timeout) opts.timeout = *s_.timeout;
    for (size_t i = 0; i < routers_.size(); ++i)
      routers_[i].session->execute(
          cmd, guard([this, i, round](routeros::Result r) { answered(i, round, std::move(r)); }), opts);
    if (routers_.empty()) finish();  // MNDP only (with routers, the last answer finishes the round)
  }

 private:
  struct Router {
    std::string name;
    std::shared_ptr<routeros::Session> session;
    Counter* errors;
  };
  struct Heard {
    Neighbor n;
    SteadyTime at;
  };

  void answered(size_t i, uint64_t round, routeros::Result r) {
    if (round != round_ || !gather_done_) return;
    Router& router = routers_[i];
    if (!r.ok()) {
      router.errors->inc();
      ++failed_;
      log_.log(spdlog::level::warn, "print:" + router.name, r.error.message);
    } else {
      std::vector<Neighbor> rows;
      rows.reserve(r.rows.size());
      for (const auto& row : r.rows) {
        if (auto n = neighbors::from_reply(row, router.name, s_.max_text))
          rows.push_back(std::move(*n));
        else
          skipped_.inc();
      }
      inventory_.observe(router.name, rows, ctx_.clock.steady_now());
    }
    if (--pending_ == 0) finish();
  }

  void heard(const neighbors::MndpAnnouncement& a, const std::string& iface) {
    mndp_packets_.inc();
    Neighbor n = neighbors::to_neighbor(a, s_.max_text);
    n.interface = iface;
    n.interface_list = iface;
    std::string key = iface + '\0' + n.mac;
    if (heard_.size() >= kMaxMndpDevices && !heard_.count(key)) {
      mndp_full_.inc();
      log_.log(spdlog::level::warn, "mndp-full",
               "MNDP table full (" + std::to_string(kMaxMndpDevices) + " devices): ignoring " + n.mac);
      return;
    }
    heard_[std::move(key)] = {std::move(n), ctx_.clock.steady_now()};
  }

  void finish() {
    const SteadyTime now = ctx_.clock.steady_now();
    if (mndp_) {
      std::vector<Neighbor> rows;
      for (auto it = heard_.begin(); it != heard_.end();) {
        if (now - it->second.at >= s_.mndp->hold) {
          it = heard_.erase(it);
          continue;
        }
        Neighbor n = it->second.n;
        n.age_s = std::chrono::duration<double>(now - it->second.at).count();
        rows.push_back(std::move(n));
        ++it;
      }
      inventory_.observe("", rows, now);
      const auto& c = mndp_->counters();
      mndp_solicits_.inc(c.solicitations_sent - solicits_seen_);
      solicits_seen_ = c.solicitations_sent;
      mndp_send_errors_.inc(c.send_errors - send_errors_seen_);
      send_errors_seen_ = c.send_errors;
    }
    MetricBatch out;
    // Until the known query has answered, every device would look unknown:
    // report sightings but no events.
    inventory_.finish_round(now, ctx_.clock.now_ns(), out, list_->ready());
    if (!list_->ready())
      log_.log(spdlog::level::info, "query", "waiting for the first answer of known_query: no events yet");
    for (const auto& m : out)
      if (m.name() == "neighbor_event")
        if (const std::string* e = m.tag("event"); e && events_.count(*e)) events_[*e]->inc();
    const auto c = inventory_.counts();
    devices_.set(static_cast<double>(c.devices));
    candidates_.set(static_cast<double>(c.candidates));
    known_.set(static_cast<double>(c.known));
    lost_.set(static_cast<double>(c.lost));
    if (route_added_) {  // only when the agent serves it
      std::string json = inventory_.topology_json();
      std::lock_guard lock(topology_mu_);
      topology_.swap(json);
    }
    if (!out.empty()) ctx_.emit(std::move(out));
    rounds_.inc();
    if (failed_ == 0)
      ctx_.health.set(HealthState::healthy);
    else
      ctx_.health.set(failed_ == routers_.size() ? HealthState::unhealthy : HealthState::degraded,
                      std::to_string(failed_) + " of " + std::to_string(routers_.size()) +
                          " routers did not answer /ip/neighbor/print");
    if (gather_done_) std::exchange(gather_done_, nullptr)();
  }

  PluginContext& ctx_;
  neighbors::Settings s_;
  Inventory inventory_;
  std::vector<Router> routers_;
  std::shared_ptr<targets::TargetList> list_;
  std::shared_ptr<neighbors::MndpListener> mndp_;
  std::map<std::string, Heard> heard_;  // interface \0 mac → last announcement
  uint64_t known_version_ = 0;
  uint64_t round_ = 0;
  size_t pending_ = 0, failed_ = 0;
  uint64_t solicits_seen_ = 0, send_errors_seen_ = 0;
  std::function<void()> gather_done_;
  bool stopped_ = false;
  bool route_added_ = false;
  std::mutex topology_mu_;
  std::string topology_;  // the last round's JSON (served from the HTTP strand)
  RateLimitedLog log_;
  Counter& rounds_;
  Counter& skipped_;
  Counter& mndp_packets_;
  Counter& mndp_malformed_;
  Counter& mndp_solicits_;
  Counter& mndp_send_errors_;
  Counter& mndp_full_;
  Gauge& devices_;
  Gauge& candidates_;
  Gauge& known_;
  Gauge& lost_;
  std::map<std::string, Counter*> events_;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(input, neighbors,
                   "Neighbor inventory and hierarchy from /ip/neighbor and MNDP, with new-device candidates",
                   routerpulse::NeighborsInput)
