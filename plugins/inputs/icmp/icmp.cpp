// Input `icmp`: reachability, latency, loss and jitter of many targets per
// round over one ICMP socket per address family (see prober.hpp).
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <poll.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "prober.hpp"
#include "round_stats.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "settings.hpp"
#include "targets/resolver.hpp"
#include "targets/target_list.hpp"

namespace routerpulse {
namespace {

using icmp::Family;
using icmp::Prober;

constexpr size_t kEmitBatch = 1000;

class IcmpInput final : public Input {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "targets",
       .type = OptionType::list,
       .doc = "targets: \"address [tag=value ...]\" strings or {address: ..., tags: {...}} maps",
       .example = "[\"192.0.2.1\", {address: core1.example.net, tags: {site: north}}]"},
      {.name = "targets_file",
       .type = OptionType::string,
       .doc = "file with one \"address [tag=value ...]\" per line; re-read when it changes"},
      {.name = "targets_query",
       .type = OptionType::string,
       .doc = "PostgreSQL query returning an address column plus tag columns"},
      {.name = "targets_dsn", .type = OptionType::string, .doc = "libpq connection string for targets_query"},
      {.name = "targets_refresh",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "how often targets_query runs again (0 = only at connect and on NOTIFY)",
       .min = 0},
      {.name = "targets_listen",
       .type = OptionType::string,
       .doc = "PostgreSQL NOTIFY channel that makes targets_query run again at once"},
      {.name = "resolve_interval",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "how often host names are resolved again",
       .min = kPositive},
      {.name = "count",
       .type = OptionType::integer,
       .default_value = "3",
       .doc = "echo requests per target per round",
       .min = 1,
       .max = 1000},
      {.name = "probe_interval",
       .type = OptionType::duration,
       .default_value = "1s",
       .doc = "time between a target's consecutive echo requests",
       .min = 0,
       .max = 3600},
      {.name = "timeout",
       .type = OptionType::duration,
       .default_value = "1s",
       .doc = "how long to wait for each reply",
       .min = kPositive,
       .max = 60},
      {.name = "size",
       .type = OptionType::integer,
       .default_value = "56",
       .doc = "ICMP payload bytes (the first 8 are a random cookie)",
       .min = 8,
       .max = 1400},
      {.name = "ttl",
       .type = OptionType::integer,
       .default_value = "64",
       .doc = "IP TTL / IPv6 hop limit of the requests",
       .min = 1,
       .max = 255},
      {.name = "rate",
       .type = OptionType::number,
       .default_value = "5000",
       .doc = "most echo requests per second over all targets (0 = no limit)",
       .min = 0},
      {.name = "mode",
       .type = OptionType::choice,
       .default_value = "auto",
       .doc = "socket kind: auto (unprivileged, else raw), unprivileged or raw",
       .choices = "auto|unprivileged|raw"},
  };

  static void validate(const Options& o) {
    std::string dir = std::filesystem::path(o.file()).parent_path().string();
    icmp::read_settings(o, dir);
  }

  IcmpInput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        s_(icmp::read_settings(o, ctx.config_dir)),
        prober_(s_.probe),
        step_timer_(ctx.clock.make_timer(ctx.strand)),
        resolve_timer_(ctx.clock.make_timer(ctx.strand)),
        log_(ctx.log, ctx.clock, std::chrono::seconds(60)),
        rounds_(ctx.self_metrics.counter("rounds_total", "Rounds completed")),
        probes_(ctx.self_metrics.counter("probes_sent_total", "Echo requests sent")),
        replies_(ctx.self_metrics.counter("replies_total", "Echo replies matched to a probe in time")),
        late_(ctx.self_metrics.counter("late_replies_total", "Replies that came after the timeout")),
        unmatched_(ctx.self_metrics.counter("unmatched_replies_total",
                                            "Replies matching no probe in flight (wrong cookie, source or slot)")),
        dups_(ctx.self_metrics.counter("duplicate_replies_total", "Extra replies to an answered probe")),
        icmp_errors_(ctx.self_metrics.counter("icmp_errors_total", "Unreachable / time-exceeded for our probes")),
        send_errors_(ctx.self_metrics.counter("send_errors_total", "Echo requests the kernel refused to send")),
        deferred_(ctx.self_metrics.counter("send_deferred_total",
                                           "Echo requests held back and sent later because the socket's send "
                                           "buffer or the device queue was full")),
        drops_(ctx.self_metrics.counter("socket_drops_total",
                                        "Replies dropped by a full socket receive buffer (SO_RXQ_OVFL)")),
        resolve_errors_(ctx.self_metrics.counter("resolve_errors_total", "Host-name lookups that failed")),
        targets_gauge_(ctx.self_metrics.gauge("targets", "Targets in the last round")),
        down_gauge_(ctx.self_metrics.gauge("targets_down", "Targets without any reply in the last round")),
        round_seconds_(ctx.self_metrics.histogram("round_seconds", "Duration of a round")),
        rcvbuf_(ctx.self_metrics.gauge("receive_buffer_bytes", "Effective socket receive buffer")) {
    list_ = std::make_shared<targets::TargetList>(ctx.strand, ctx.clock, ctx.log, s_.targets);
    resolver_ = std::make_shared<targets::Resolver>(ctx.strand, ctx.clock, s_.resolve_interval);
  }

  void start() override {
    std::string err = prober_.open(s_.mode, true);
    if (!err.empty()) {
      open_error_ = err;
      ctx_.log->error("{}", err);
      ctx_.health.set(HealthState::unhealthy, err);
      return;
    }
    for (Family f : {Family::v4, Family::v6}) {
      const std::string& fe = prober_.family_error(f);
      if (!fe.empty()) {
        ctx_.log->warn("{} targets cannot be probed: {}", icmp::to_string(f), fe);
        continue;
      }
      ctx_.self_metrics
          .gauge("socket_mode", "1 for the socket kind in use per address family",
                 {{"family", icmp::to_string(f)}, {"mode", icmp::to_string(prober_.mode(f))}})
          .set(1);
      ctx_.log->info("{}: {} ICMP socket", icmp::to_string(f), icmp::to_string(prober_.mode(f)));
    }
    watch_sockets();
    if (!s_.targets.query && s_.targets.file.empty() && s_.targets.inline_targets.empty())
      ctx_.log->warn("no targets configured (targets, targets_file or targets_query): nothing to probe");
    resolver_->on_done = [this](const std::string& name, const targets::Resolver::Entry& e) {
      if (!e.error.empty()) {
        resolve_errors_.inc();
        if (failing_names_.insert(name).second)
          ctx_.log->warn("target {}: cannot resolve: {}{}", name, e.error,
                         e.address ? "; keeping " + e.address->to_string() : "; retried every round");
      } else if (failing_names_.erase(name)) {
        ctx_.log->info("target {} resolves again: {}", name, e.address->to_string());
      }
      if (waiting_resolution_ && resolver_->first_lookups_pending() == 0) begin_round();
    };
    list_->start();
  }

  void stop(std::function<void()> done) override {
    stopped_ = true;
    step_timer_->cancel();
    resolve_timer_->cancel();
    waits_.clear();  // cancels the waits; guarded handlers find nothing to do
    resolver_->stop();
    list_->stop();
    if (gather_done_) std::exchange(gather_done_, nullptr)();
    done();
  }

  void gather(std::function<void()> done) override {
    if (stopped_ || gather_done_) return done();
    if (!open_error_.empty()) {
      log_.log(spdlog::level::err, "open", open_error_);
      return done();
    }
    list_->check_file();
    if (!list_->ready()) {
      log_.log(spdlog::level::info, "query", "waiting for the first answer of targets_query");
      return done();
    }
    gather_done_ = std::move(done);
    round_list_ = list_->current();
    if (round_list_version_ != list_->version()) {
      round_list_version_ = list_->version();
      const size_t n = round_list_->size();
      tagsets_.assign(n, nullptr);
      cached_.assign(n, icmp::ProbeAddress{});
      resolved_.assign(n, boost::asio::ip::address{});
      literal_.assign(n, 0);
      std::set<std::string> names;
      for (size_t i = 0; i < n; ++i) {
        const auto& t = (*round_list_)[i];
        boost::system::error_code ec;
        auto ip = boost::asio::ip::make_address(t.name, ec);
        if (!ec) {
          literal_[i] = 1;
          resolved_[i] = ip;
        } else {
          names.insert(t.name);
        }
      }
      resolver_->retain([&](const std::string& name) { return names.count(name) > 0; });
    }
    for (size_t i = 0; i < round_list_->size(); ++i)
      if (!literal_[i]) resolver_->lookup((*round_list_)[i].name);
    if (resolver_->first_lookups_pending() > 0) {
      // New names: wait for their first answer, at most `timeout`.
      waiting_resolution_ = true;
      resolve_timer_->arm(s_.probe.timeout, [this] { begin_round(); });
      return;
    }
    begin_round();
  }

 private:
  void watch_sockets() {
    const auto& socks = prober_.sockets();
    while (waits_.size() < socks.size()) {
      int fd = ::dup(socks[waits_.size()]->fd());
      waits_.push_back(std::make_unique<boost::asio::posix::stream_descriptor>(ctx_.strand, fd));
      arm_wait(waits_.size() - 1);
    }
  }

  void arm_wait(size_t i) {
    if (i >= waits_.size()) return;
    waits_[i]->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          boost::asio::bind_executor(ctx_.strand, guard([this, i](boost::system::error_code ec) {
                                                       if (ec || stopped_) return;
                                                       pump();
                                                       arm_wait(i);
                                                       // Asio waits are edge-triggered: a packet that came
                                                       // between the last read and the re-arm gets no event.
                                                       pollfd p{waits_[i]->native_handle(), POLLIN, 0};
                                                       if (::poll(&p, 1, 0) > 0) post_pump();
                                                     })));
  }

  void post_pump() {
    if (pump_posted_) return;
    pump_posted_ = true;
    boost::asio::post(ctx_.strand, guard([this] {
                        pump_posted_ = false;
                        if (!stopped_) pump();
                      }));
  }

  /// The probe address of an IP; false when its family has no socket.
  static icmp::ProbeAddress probe_address(const boost::asio::ip::address& ip) {
    icmp::ProbeAddress a;
    if (ip.is_v4()) {
      a.addr.v4.sin_family = AF_INET;
      auto b = ip.to_v4().to_bytes();
      std::memcpy(&a.addr.v4.sin_addr, b.data(), 4);
      a.len = sizeof(sockaddr_in);
      a.family = Family::v4;
    } else {
      a.addr.v6.sin6_family = AF_INET6;
      auto b = ip.to_v6().to_bytes();
      std::memcpy(&a.addr.v6.sin6_addr, b.data(), 16);
      a.addr.v6.sin6_scope_id = ip.to_v6().scope_id();
      a.len = sizeof(sockaddr_in6);
      a.family = Family::v6;
    }
    return a;
  }

  void begin_round() {
    if (!waiting_resolution_ && prober_.running()) return;
    waiting_resolution_ = false;
    resolve_timer_->cancel();
    if (!gather_done_ || stopped_) return;
    const auto& list = *round_list_;
    std::vector<icmp::ProbeAddress> addrs;
    addrs.reserve(list.size());
    probe_index_.assign(list.size(), -1);
    unprobed_.clear();
    for (size_t i = 0; i < list.size(); ++i) {
      // Literal addresses are parsed once per list; names ask the resolver
      // every round (it refreshes them every resolve_interval).
      if (!literal_[i]) {
        const auto& e = resolver_->lookup(list[i].name);
        if (!e.address) {
          unprobed_.emplace_back(i, e.error.empty() ? "name not resolved yet" : "cannot resolve: " + e.error);
          continue;
        }
        if (!tagsets_[i] || *e.address != resolved_[i]) {
          resolved_[i] = *e.address;
          tagsets_[i] = nullptr;
        }
      }
      if (!tagsets_[i]) {
        cached_[i] = probe_address(resolved_[i]);
        TagList tags = list[i].tags;
        tags.push_back({"target", list[i].name});
        tags.push_back({"address", resolved_[i].to_string()});
        tagsets_[i] = make_tag_set(std::move(tags));
      }
      const icmp::ProbeAddress& a = cached_[i];
      if (!prober_.family_error(a.family).empty()) {
        unprobed_.emplace_back(i, prober_.family_error(a.family));
        continue;
      }
      probe_index_[i] = static_cast<int>(addrs.size());
      addrs.push_back(a);
    }
    round_time_ns_ = ctx_.clock.now_ns();
    round_start_ = ctx_.clock.steady_now();
    prober_.begin(std::move(addrs), round_start_);
    rcvbuf_.set(prober_.receive_buffer());
    if (prober_.receive_buffer() < prober_.receive_buffer_wanted() && !rcvbuf_warned_) {
      rcvbuf_warned_ = true;
      ctx_.log->warn(
          "socket receive buffer is {} bytes, {} wanted for this round: raise net.core.rmem_max or grant "
          "CAP_NET_ADMIN, or lower `rate` (drops are counted in socket_drops_total)",
          prober_.receive_buffer(), prober_.receive_buffer_wanted());
    }
    pump();
  }

  void pump() {
    if (stopped_) return;
    const bool was_running = prober_.running();
    auto st = prober_.step(ctx_.clock.steady_now());
    watch_sockets();
    if (!was_running) return;
    if (st.done) return finish();
    if (st.again) {
      post_pump();
      return;
    }
    if (st.wake) {
      // Sends are due every 1/rate: wake at most every millisecond and send
      // what is due then (sendmmsg batches), not once per probe.
      auto at = std::max(*st.wake, ctx_.clock.steady_now() + std::chrono::milliseconds(1));
      if (!step_timer_->armed() || at != armed_at_) {
        armed_at_ = at;
        step_timer_->arm_at(at, [this] { pump(); });
      }
    }
  }

  void finish() {
    step_timer_->cancel();
    const auto& list = *round_list_;
    size_t down = unprobed_.size();
    static const std::string kName = "icmp";
    // Metrics leave in batches of kEmitBatch so the round's metrics never all
    // exist at once (about 0.7 KiB each).
    MetricBatch batch;
    batch.reserve(std::min(list.size(), kEmitBatch));
    auto flush = [&] {
      if (batch.empty()) return;
      ctx_.emit(std::move(batch));
      batch = MetricBatch();
      batch.reserve(kEmitBatch);
    };
    for (size_t i = 0; i < list.size(); ++i) {
      if (probe_index_[i] < 0) continue;
      const size_t k = static_cast<size_t>(probe_index_[i]);
      Metric& m = batch.emplace_back(kName, round_time_ns_, MetricType::gauge);
      m.set_tag_set(tagsets_[i]);
      const auto& tally = prober_.tally(k);
      icmp::set_fields(m, tally, icmp::summarize(prober_.rtts(k)));
      if (tally.received == 0) ++down;
      if (batch.size() == kEmitBatch) flush();
    }
    for (const auto& [i, why] : unprobed_) {
      Metric& m = batch.emplace_back(kName, round_time_ns_, MetricType::gauge);
      TagList tags = list[i].tags;
      tags.push_back({"target", list[i].name});
      m.set_tag_set(make_tag_set(std::move(tags)));
      const bool unresolved = why.starts_with("cannot resolve") || why.starts_with("name not");
      icmp::set_unprobed_fields(m, why, unresolved ? 1 : 2);
      if (batch.size() == kEmitBatch) flush();
    }
    flush();
    const auto& c = prober_.counters();
    probes_.inc(c.sent - last_.sent);
    replies_.inc(c.received - last_.received);
    late_.inc(c.late - last_.late);
    unmatched_.inc(c.unmatched - last_.unmatched);
    dups_.inc(c.duplicates - last_.duplicates);
    icmp_errors_.inc(c.errors - last_.errors);
    send_errors_.inc(c.send_errors - last_.send_errors);
    deferred_.inc(c.deferred - last_.deferred);
    last_ = c;
    uint64_t d = prober_.socket_drops();
    drops_.inc(d - last_drops_);
    last_drops_ = d;
    rounds_.inc();
    targets_gauge_.set(static_cast<double>(list.size()));
    down_gauge_.set(static_cast<double>(down));
    round_seconds_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - round_start_).count());
    ctx_.health.set(HealthState::healthy);
    if (gather_done_) std::exchange(gather_done_, nullptr)();
  }

  PluginContext& ctx_;
  icmp::Settings s_;
  Prober prober_;
  std::shared_ptr<targets::TargetList> list_;
  std::shared_ptr<targets::Resolver> resolver_;
  std::unique_ptr<Timer> step_timer_;
  std::unique_ptr<Timer> resolve_timer_;
  SteadyTime armed_at_{};
  std::vector<std::unique_ptr<boost::asio::posix::stream_descriptor>> waits_;
  RateLimitedLog log_;
  std::string open_error_;
  std::function<void()> gather_done_;
  bool stopped_ = false;
  bool waiting_resolution_ = false;
  bool pump_posted_ = false;
  bool rcvbuf_warned_ = false;
  std::set<std::string> failing_names_;

  targets::TargetList::List round_list_;
  uint64_t round_list_version_ = 0;
  // Per target of round_list_ (rebuilt when the list changes).
  std::vector<TagSet> tagsets_;  // null: build before the next use
  std::vector<icmp::ProbeAddress> cached_;
  std::vector<boost::asio::ip::address> resolved_;
  std::vector<uint8_t> literal_;
  std::vector<int> probe_index_;                          // index into the prober's targets, -1 = not probed
  std::vector<std::pair<size_t, std::string>> unprobed_;  // target, why
  int64_t round_time_ns_ = 0;
  SteadyTime round_start_{};
  icmp::ProberCounters last_;
  uint64_t last_drops_ = 0;

  Counter& rounds_;
  Counter& probes_;
  Counter& replies_;
  Counter& late_;
  Counter& unmatched_;
  Counter& dups_;
  Counter& icmp_errors_;
  Counter& send_errors_;
  Counter& deferred_;
  Counter& drops_;
  Counter& resolve_errors_;
  Gauge& targets_gauge_;
  Gauge& down_gauge_;
  Histogram& round_seconds_;
  Gauge& rcvbuf_;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(input, icmp, "Reachability, latency, loss and jitter of many hosts by ICMP echo",
                   routerpulse::IcmpInput)
