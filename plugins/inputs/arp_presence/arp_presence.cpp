// Input `arp_presence`: is each static-IP customer online — one ARP read per
// router per interval, doubtful entries verified by the router itself
// (README.md; the per-router work is router_round.hpp, the debounce
// presence.hpp, the row rules arp_entry.hpp).
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "presence.hpp"
#include "router_round.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "routerpulse/routeros/registry.hpp"
#include "settings.hpp"
#include "targets/target_list.hpp"

namespace routerpulse {
namespace {

using namespace arp_presence;

/// One target of the current list, with what the input keeps about it.
struct Target {
  std::string address, router, expected_mac, iface_tag;
  TagList base_tags;       // the target's tags (minus mac) + router + address
  TagSet tags;             // base_tags + interface `tags_iface`
  std::string tags_iface;  // the interface in `tags` ("" = none)
  PresenceState* state = nullptr;
};

struct RouterGroup {
  std::string name;
  std::vector<size_t> targets;  // indices into targets_
  std::vector<std::string> addresses;
  std::shared_ptr<RouterRound> round;
  Gauge* bytes_read = nullptr;  // self-metric, looked up at the first round
};

class ArpPresenceInput final : public Input {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "targets",
       .type = OptionType::list,
       .doc = "customers: \"address router=NAME [customer_id=..] [mac=..] [tag=value ...]\" strings or "
              "{address: ..., tags: {router: ...}} maps",
       .example = "[\"203.0.113.10 router=pop1-core customer_id=C-1001 mac=02:aa:00:00:00:01\"]"},
      {.name = "targets_file",
       .type = OptionType::string,
       .doc = "file with one \"address router=NAME [tag=value ...]\" per line; re-read when it changes"},
      {.name = "targets_query",
       .type = OptionType::string,
       .doc = "PostgreSQL query returning columns address and router, optionally customer_id, mac and tag columns"},
      {.name = "targets_dsn", .type = OptionType::string, .doc = "libpq connection string for targets_query"},
      {.name = "targets_refresh",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "how often targets_query runs again (0 = only at connect and on NOTIFY)",
       .min = 0},
      {.name = "targets_listen",
       .type = OptionType::string,
       .doc = "PostgreSQL NOTIFY channel that makes targets_query run again at once"},
      {.name = "source",
       .type = OptionType::choice,
       .default_value = "arp",
       .doc = "what is read per router: arp (/ip/arp), dhcp (/ip/dhcp-server/lease) or both",
       .choices = "arp|dhcp|both"},
      {.name = "verify",
       .type = OptionType::choice,
       .default_value = "ping",
       .doc = "how the router checks doubtful entries: ping (ICMP), arp-ping (ARP requests) or none",
       .choices = "ping|arp-ping|none"},
      {.name = "max_verifications",
       .type = OptionType::integer,
       .default_value = "100",
       .doc = "most verification pings per router per round",
       .min = 0,
       .max = 100000},
      {.name = "verify_concurrency",
       .type = OptionType::integer,
       .default_value = "10",
       .doc = "verification pings in flight per router",
       .min = 1,
       .max = 1000},
      {.name = "verify_timeout",
       .type = OptionType::duration,
       .default_value = "3s",
       .doc = "how long one /ping command may take",
       .min = kPositive,
       .max = 600},
      {.name = "offline_after",
       .type = OptionType::integer,
       .default_value = "2",
       .doc = "consecutive rounds without proof of presence before a customer is offline",
       .min = 1,
       .max = 1000},
      {.name = "timeout",
       .type = OptionType::duration,
       .default_value = "20s",
       .doc = "the round's deadline: reads not answered by then mark the router down",
       .min = kPositive,
       .max = 3600},
      {.name = "lease_max_age",
       .type = OptionType::duration,
       .default_value = "10m",
       .doc = "a bound DHCP lease proves presence when its last-seen is at most this old",
       .min = 0},
  };

  static constexpr const char* sample_context = "routers:\n  pop1-core:\n    host: 192.0.2.1\n    username: monitor\n";

  static void validate(const Options& o) {
    std::string dir = std::filesystem::path(o.file()).parent_path().string();
    read_settings(o, dir);
  }

  ArpPresenceInput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        s_(read_settings(o, ctx.config_dir)),
        deadline_timer_(ctx.clock.make_timer(ctx.strand)),
        log_(ctx.log, ctx.clock, std::chrono::seconds(60)),
        rounds_(ctx.self_metrics.counter("rounds_total", "Rounds completed")),
        arp_rows_(ctx.self_metrics.counter("arp_rows_total", "ARP rows read")),
        lease_rows_(ctx.self_metrics.counter("lease_rows_total", "DHCP lease rows read")),
        pings_(ctx.self_metrics.counter("verifications_total", "Verification pings sent by the routers")),
        ping_replies_(ctx.self_metrics.counter("verification_replies_total", "Verification pings answered")),
        ping_errors_(ctx.self_metrics.counter("verification_errors_total",
                                              "Verification pings that failed (trap or timeout of the command)")),
        skipped_(ctx.self_metrics.counter("verifications_skipped_total",
                                          "Doubtful targets left unverified: over max_verifications or the deadline")),
        events_(ctx.self_metrics.counter("events_total", "static_user_event metrics emitted")),
        skipped_targets_(
            ctx.self_metrics.counter("targets_skipped_total", "Targets ignored: no router tag, not an IP address")),
        targets_gauge_(ctx.self_metrics.gauge("targets", "Targets in the last round")),
        online_gauge_(ctx.self_metrics.gauge("targets_online", "Targets online in the last round")),
        unknown_gauge_(ctx.self_metrics.gauge("targets_unknown", "Targets whose router did not answer")),
        routers_down_(ctx.self_metrics.gauge("routers_down", "Routers without an answer in the last round")),
        round_seconds_(ctx.self_metrics.histogram("round_seconds", "Duration of a round")) {
    list_ = std::make_shared<targets::TargetList>(ctx.strand, ctx.clock, ctx.log, s_.targets);
  }

  void start() override {
    if (!s_.targets.query && s_.targets.file.empty() && s_.targets.inline_targets.empty())
      ctx_.log->warn("no targets configured (targets, targets_file or targets_query): nothing to check");
    if (!ctx_.routers) ctx_.log->warn("no routers: section in the configuration: every target is unknown");
    list_->start();
  }

  void stop(std::function<void()> done) override {
    stopped_ = true;
    deadline_timer_->cancel();
    list_->stop();
    for (auto& g : groups_) g.round.reset();
    if (gather_done_) std::exchange(gather_done_, nullptr)();
    done();
  }

  void gather(std::function<void()> done) override {
    if (stopped_ || gather_done_) return done();
    list_->check_file();
    if (!list_->ready()) {
      log_.log(spdlog::level::info, "query", "waiting for the first answer of targets_query");
      return done();
    }
    if (list_version_ != list_->version() || groups_.empty()) rebuild();
    gather_done_ = std::move(done);
    round_time_ns_ = ctx_.clock.now_ns();
    round_start_ = ctx_.clock.steady_now();
    pending_ = groups_.size();
    online_ = unknown_ = down_ = 0;
    if (pending_ == 0) return finish_round();
    const SteadyTime deadline = round_start_ + s_.timeout;
    const uint64_t round = ++round_id_;
    for (size_t g = 0; g < groups_.size(); ++g) {
      RouterGroup& grp = groups_[g];
      std::vector<std::string> hints;
      hints.reserve(grp.targets.size());
      for (size_t t : grp.targets)
        hints.push_back(targets_[t].iface_tag.empty() ? targets_[t].tags_iface : targets_[t].iface_tag);
      auto session = ctx_.routers ? ctx_.routers->find(grp.name) : nullptr;
      grp.round = std::make_shared<RouterRound>(ctx_.strand, ctx_.clock, std::move(session), s_, grp.addresses,
                                                std::move(hints), guard([this, g, round] { router_done(g, round); }));
      grp.round->start(deadline);
    }
    deadline_timer_->arm(s_.timeout, guard([this, round] {
                           if (round != round_id_) return;
                           for (auto& grp : groups_)
                             if (grp.round) grp.round->finish_now();
                         }));
  }

 private:
  /// Regroups the target list by router; keeps the state of targets that stay.
  void rebuild() {
    list_version_ = list_->version();
    const auto& list = *list_->current();
    std::map<std::string, size_t> group_of;
    std::unordered_map<std::string, PresenceState> kept;
    std::set<std::string> seen;
    targets_.clear();
    groups_.clear();
    for (const auto& spec : list) {
      Target t;
      t.address = spec.name;
      for (const auto& tag : spec.tags) {
        if (tag.key == "router")
          t.router = tag.value;
        else if (tag.key == "mac")
          t.expected_mac = normalize_mac(tag.value);
        else if (tag.key == "interface")
          t.iface_tag = tag.value;
        if (tag.key != "mac" && tag.key != "interface") t.base_tags.push_back(tag);
      }
      const auto kind = targets::classify_address(t.address);
      if (t.router.empty() || (kind != targets::AddressKind::ipv4 && kind != targets::AddressKind::ipv6)) {
        skipped_targets_.inc();
        log_.log(spdlog::level::warn, "skip:" + spec.origin,
                 "target " + spec.name + " (" + spec.origin +
                     ") skipped: " + (t.router.empty() ? "no router tag" : "not an IP address"));
        continue;
      }
      const std::string key = t.router + "|" + t.address;
      if (!seen.insert(key).second) continue;  // the same customer twice (other tags): first wins
      auto old = states_.find(key);
      kept.emplace(key, old != states_.end() ? old->second : PresenceState{});
      t.base_tags.push_back({"address", t.address});
      auto [it, fresh] = group_of.emplace(t.router, groups_.size());
      if (fresh) groups_.push_back(RouterGroup{t.router, {}, {}, nullptr, nullptr});
      groups_[it->second].targets.push_back(targets_.size());
      groups_[it->second].addresses.push_back(t.address);
      targets_.push_back(std::move(t));
    }
    states_ = std::move(kept);
    for (auto& t : targets_) t.state = &states_.at(t.router + "|" + t.address);
  }

  const TagSet& tags_for(Target& t, const std::string& iface) {
    if (!t.tags || iface != t.tags_iface) {
      TagList tags = t.base_tags;
      if (!iface.empty()) tags.push_back({"interface", iface});
      t.tags = make_tag_set(std::move(tags));
      t.tags_iface = iface;
    }
    return t.tags;
  }

  void router_done(size_t g, uint64_t round) {
    if (stopped_ || round != round_id_ || g >= groups_.size() || !groups_[g].round) return;
    static const Key k_online("online"), k_router_up("router_up"), k_mac("mac"), k_status("arp_status"),
        k_by("verified_by"), k_rtt("rtt_ms"), k_mismatch("mac_mismatch"), k_last("last_seen_s"),
        k_misses("consecutive_misses"), k_event("event"), k_prev("previous_mac");
    static const std::string kName = "static_user", kEvent = "static_user_event";
    RouterGroup& grp = groups_[g];
    auto round_ptr = std::move(grp.round);
    const RouterRound& rr = *round_ptr;
    const auto& c = rr.counters();
    arp_rows_.inc(c.arp_rows);
    lease_rows_.inc(c.lease_rows);
    pings_.inc(c.pings);
    ping_replies_.inc(c.ping_replies);
    ping_errors_.inc(c.ping_errors);
    skipped_.inc(c.verifications_skipped);
    if (!grp.bytes_read)
      grp.bytes_read = &ctx_.self_metrics.gauge(
          "bytes_read", "Bytes the router's API session read during the last round", {{"router", grp.name}});
    grp.bytes_read->set(static_cast<double>(c.bytes_received));
    if (!rr.router_up()) {
      ++down_;
      log_.log(spdlog::level::warn, "down:" + grp.name,
               "router " + grp.name + ": no presence data this round (" + rr.error() +
                   "): " + std::to_string(grp.targets.size()) + " targets unknown");
    } else if (!rr.error().empty()) {
      log_.log(spdlog::level::warn, "err:" + grp.name, "router " + grp.name + ": " + rr.error());
    }
    MetricBatch batch;
    batch.reserve(grp.targets.size());
    std::vector<PresenceEvent> events;
    for (size_t k = 0; k < grp.targets.size(); ++k) {
      Target& t = targets_[grp.targets[k]];
      PresenceState& st = *t.state;
      Metric& m = batch.emplace_back(kName, round_time_ns_, MetricType::gauge);
      if (!rr.router_up()) {
        ++unknown_;
        m.set_tag_set(tags_for(t, t.tags_iface));
        m.set_field(k_router_up, false);
        if (st.last_seen_ns >= 0) m.set_field(k_last, (round_time_ns_ - st.last_seen_ns) / 1000000000);
        continue;
      }
      const Finding& f = rr.findings()[k];
      const std::string iface = f.entry && !f.entry->interface.empty() ? f.entry->interface : t.tags_iface;
      m.set_tag_set(tags_for(t, iface));
      events.clear();
      observe(st, f.online, f.online ? f.mac : std::string(), round_time_ns_, s_.offline_after, events);
      const bool online = reported_online(st);
      online_ += online;
      m.set_field(k_router_up, true);
      m.set_field(k_online, online);
      m.set_field(k_misses, static_cast<int64_t>(st.misses));
      if (!f.mac.empty()) m.set_field(k_mac, f.mac);
      m.set_field(k_status, !f.entry                             ? std::string("missing")
                            : f.entry->status != ArpStatus::none ? std::string(to_string(f.entry->status))
                            : f.entry->complete                  ? std::string("complete")
                                                                 : std::string("incomplete"));
      if (*f.verified_by) m.set_field(k_by, std::string(f.verified_by));
      if (f.rtt_ms) m.set_field(k_rtt, *f.rtt_ms);
      if (!t.expected_mac.empty() && !f.mac.empty()) m.set_field(k_mismatch, f.mac != t.expected_mac);
      if (st.last_seen_ns >= 0) m.set_field(k_last, (round_time_ns_ - st.last_seen_ns) / 1000000000);
      for (const auto& e : events) {
        Metric& ev = batch.emplace_back(kEvent, round_time_ns_);
        ev.set_tag_set(m.tag_set());
        ev.set_field(k_event, e.event);
        if (!e.mac.empty()) ev.set_field(k_mac, e.mac);
        if (!e.previous_mac.empty()) ev.set_field(k_prev, e.previous_mac);
        events_.inc();
      }
    }
    if (!batch.empty()) ctx_.emit(std::move(batch));
    if (--pending_ == 0) finish_round();
  }

  void finish_round() {
    deadline_timer_->cancel();
    rounds_.inc();
    targets_gauge_.set(static_cast<double>(targets_.size()));
    online_gauge_.set(static_cast<double>(online_));
    unknown_gauge_.set(static_cast<double>(unknown_));
    routers_down_.set(static_cast<double>(down_));
    round_seconds_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - round_start_).count());
    if (down_ == 0)
      ctx_.health.set(HealthState::healthy);
    else
      ctx_.health.set(down_ == groups_.size() ? HealthState::unhealthy : HealthState::degraded,
                      std::to_string(down_) + " of " + std::to_string(groups_.size()) + " routers without answer");
    if (gather_done_) std::exchange(gather_done_, nullptr)();
  }

  PluginContext& ctx_;
  Settings s_;
  std::shared_ptr<targets::TargetList> list_;
  std::unique_ptr<Timer> deadline_timer_;
  RateLimitedLog log_;
  std::function<void()> gather_done_;
  bool stopped_ = false;
  uint64_t list_version_ = 0;
  uint64_t round_id_ = 0;
  std::vector<Target> targets_;
  std::vector<RouterGroup> groups_;
  std::unordered_map<std::string, PresenceState> states_;  // "router|address"
  size_t pending_ = 0, online_ = 0, unknown_ = 0, down_ = 0;
  int64_t round_time_ns_ = 0;
  SteadyTime round_start_{};

  Counter& rounds_;
  Counter& arp_rows_;
  Counter& lease_rows_;
  Counter& pings_;
  Counter& ping_replies_;
  Counter& ping_errors_;
  Counter& skipped_;
  Counter& events_;
  Counter& skipped_targets_;
  Gauge& targets_gauge_;
  Gauge& online_gauge_;
  Gauge& unknown_gauge_;
  Gauge& routers_down_;
  Histogram& round_seconds_;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(input, arp_presence,
                   "Whether static-IP customers are online, from their gateway routers' ARP tables",
                   routerpulse::ArpPresenceInput)
