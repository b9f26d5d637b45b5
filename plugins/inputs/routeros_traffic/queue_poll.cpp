// routeros_traffic — simple queues of one router (see queue_poll.hpp).
#include "queue_poll.hpp"

#include <cmath>
#include <map>
#include <mutex>

#include "routerpulse/plugin.hpp"
#include "routerpulse/routeros/values.hpp"
#include "targets/target_list.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

namespace {

enum class Kind : uint8_t { limit, rate, counter };
struct PairProp {
  std::string_view property;  // RouterOS name: "upload/download"
  const char* download;       // field of the second value
  const char* upload;         // field of the first value
  Kind kind;                  // limit: bits/s, 0 = none (left out); rate: bits/s; counter: exact integer
};
constexpr PairProp kProps[] = {
    {"max-limit", "download_limit_bps", "upload_limit_bps", Kind::limit},
    {"limit-at", "download_limit_at_bps", "upload_limit_at_bps", Kind::limit},
    {"burst-limit", "download_burst_limit_bps", "upload_burst_limit_bps", Kind::limit},
    {"rate", "download_bps", "upload_bps", Kind::rate},
    {"bytes", "download_bytes", "upload_bytes", Kind::counter},
    {"packets", "download_packets", "upload_packets", Kind::counter},
    {"dropped", "download_dropped", "upload_dropped", Kind::counter},
    {"queued-bytes", "download_queued_bytes", "upload_queued_bytes", Kind::counter},
};
constexpr size_t kMaxLimit = 0, kRate = 3;

struct Keys {
  Key down[std::size(kProps)], up[std::size(kProps)];
  Key down_util{"download_utilization"}, up_util{"upload_utilization"};
  Keys() {
    for (size_t i = 0; i < std::size(kProps); ++i) down[i] = Key(kProps[i].download), up[i] = Key(kProps[i].upload);
  }
};
const Keys& keys() {
  static const Keys k;
  return k;
}

// A bits/s pair as unsigned integers; false when unparsable or negative.
bool bits_pair(std::string_view text, rr::RosPair<uint64_t>& out) {
  auto p = rr::parse_ros_number_pair(text);
  if (!p || p->first < 0 || p->second < 0 || p->first > 1.8e19 || p->second > 1.8e19) return false;
  out = {static_cast<uint64_t>(std::llround(p->first)), static_cast<uint64_t>(std::llround(p->second))};
  return true;
}

// One static target list per input, shared by its routers (a 10,000-line file
// is parsed and held once, not once per router). Keyed by the input's
// QueueOptions, which lives as long as the input and its routers.
std::shared_ptr<targets::TargetList> shared_list(const QueueOptions& opts, PluginContext& ctx) {
  static std::mutex mu;
  static std::map<const QueueOptions*, std::weak_ptr<targets::TargetList>> lists;
  std::lock_guard lock(mu);
  for (auto it = lists.begin(); it != lists.end();) it = it->second.expired() ? lists.erase(it) : std::next(it);
  if (auto l = lists[&opts].lock()) return l;
  targets::TargetListConfig cfg;
  cfg.inline_targets = opts.static_inline;
  cfg.file = opts.static_file;
  cfg.file_option = opts.static_file_option;
  auto l = std::make_shared<targets::TargetList>(ctx.strand, ctx.clock, ctx.log, std::move(cfg));
  lists[&opts] = l;
  return l;
}

// Tags a static target may not set: the metric's own.
bool reserved_tag(const std::string& k) { return k == "router" || k == "queue" || k == "target" || k == "pppoe_user"; }

}  // namespace

QueuePoll::QueuePoll(std::string router, const QueueOptions& opts)
    : router_(std::move(router)), opts_(opts), globs_(opts.globs), matcher_(router_, opts.patterns) {}

QueuePoll::~QueuePoll() = default;

void QueuePoll::attach(PluginContext& ctx) {
  reported_ = &ctx.self_metrics.gauge("queues_reported", "Simple queues reported as customer_queue in the last poll",
                                      {{"router", router_}});
  unmatched_ = &ctx.self_metrics.gauge(
      "queues_unmatched", "Enabled simple queues matched to no customer in the last poll", {{"router", router_}});
  if (!opts_.has_static()) return;
  list_ = shared_list(opts_, ctx);
}

void QueuePoll::set_static_targets(std::vector<targets::TargetSpec> list) {
  static_ = std::make_shared<const std::vector<targets::TargetSpec>>(std::move(list));
  ++static_version_;
  matcher_.set_static(*static_);
}

rr::Command QueuePoll::command() {
  std::vector<std::string> props{".id", "name", "target", "disabled", "dynamic"};
  for (const auto& p : kProps) props.emplace_back(p.property);
  return rr::Command("/queue/simple/print").attr("stats").proplist(props);
}

bool QueuePoll::selected(std::string_view name, const QueueOwner& owner) const {
  switch (opts_.mode) {
    case QueueMode::pppoe: return owner.rule != MatchRule::none;
    case QueueMode::all: return true;
    case QueueMode::globs: return globs_.matches(name);
    case QueueMode::none: break;
  }
  return false;
}

const Metric& QueuePoll::prototype(const std::string& id, std::string_view name, std::string_view target,
                                   const QueueOwner& owner) {
  Cached& c = cache_[id];
  c.seen_round = round_;
  const bool same = !c.prototype.name().empty() && c.name == name && c.target == target && c.user == owner.pppoe_user &&
                    c.static_target == owner.static_target &&
                    (!owner.static_target || c.static_version == static_version_);
  if (same) return c.prototype;
  c.name = name;
  c.target = target;
  c.user = owner.pppoe_user;
  c.static_target = owner.static_target;
  c.static_version = static_version_;
  TagList tags{{"router", router_}, {"queue", c.name}};
  if (!c.target.empty()) tags.push_back({"target", c.target});
  if (!c.user.empty()) tags.push_back({"pppoe_user", c.user});
  if (owner.static_target)
    for (const auto& t : owner.static_target->tags)
      if (!reserved_tag(t.key)) tags.push_back(t);
  c.prototype = Metric("customer_queue");
  c.prototype.set_tag_set(make_tag_set(std::move(tags)));
  return c.prototype;
}

QueuePoll::PollStats QueuePoll::process(const std::vector<rr::Reply>& rows,
                                        const std::unordered_map<std::string, PppoeSession>* sessions, int64_t time_ns,
                                        MetricBatch& out) {
  PollStats st;
  ++round_;
  if (list_) {
    list_->check_file();
    if (list_->current() != static_) {
      static_ = list_->current();
      ++static_version_;
      static const std::vector<targets::TargetSpec> kNone;
      matcher_.set_static(static_ ? *static_ : kNone);  // both lvalues: no temporary copy
    }
  }
  matcher_.set_sessions(sessions);
  const Keys& k = keys();
  out.reserve(out.size() + rows.size());
  for (const auto& row : rows) {
    const std::string* id = row.get(".id");
    const std::string* name = row.get("name");
    if (!id || !name) continue;
    if (const std::string* d = row.get("disabled"); d && rr::parse_ros_bool(*d).value_or(false)) continue;
    ++st.queues;
    const std::string* target = row.get("target");
    const std::string_view target_text = target ? std::string_view(*target) : std::string_view();
    const QueueOwner owner = matcher_.match(*name, target_text);
    if (owner.rule == MatchRule::none) ++st.unmatched;
    if (!selected(*name, owner)) continue;

    Metric m = prototype(*id, *name, target_text, owner);
    m.set_time(time_ns);
    m.reserve(0, 2 * std::size(kProps) + 2);
    rr::RosPair<uint64_t> limit{}, rate{};
    bool have_limit = false, have_rate = false;
    for (size_t i = 0; i < std::size(kProps); ++i) {
      const PairProp& p = kProps[i];
      const std::string* v = row.get(p.property);
      if (!v) {
        if (p.kind != Kind::limit) ++st.bad_values;  // limits are absent on some versions when unset
        continue;
      }
      rr::RosPair<uint64_t> pair{};
      bool ok;
      if (p.kind == Kind::counter) {
        auto c = rr::parse_ros_uint_pair(*v);
        ok = c.has_value();
        if (ok) pair = *c;
      } else {
        ok = bits_pair(*v, pair);
      }
      if (!ok) {
        ++st.bad_values;
        continue;
      }
      if (i == kMaxLimit) limit = pair, have_limit = true;
      if (i == kRate) rate = pair, have_rate = true;
      // The pair is upload/download from the target's (the customer's) side.
      if (p.kind != Kind::limit || pair.second) m.set_field(k.down[i], pair.second);
      if (p.kind != Kind::limit || pair.first) m.set_field(k.up[i], pair.first);
    }
    if (have_limit && have_rate) {
      if (limit.second) m.set_field(k.down_util, static_cast<double>(rate.second) / static_cast<double>(limit.second));
      if (limit.first) m.set_field(k.up_util, static_cast<double>(rate.first) / static_cast<double>(limit.first));
    }
    out.push_back(std::move(m));
    ++st.reported;
  }
  // Forget queues that are gone (churn): no stale tag sets.
  for (auto it = cache_.begin(); it != cache_.end();)
    it = it->second.seen_round == round_ ? std::next(it) : cache_.erase(it);
  if (reported_) reported_->set(static_cast<double>(st.reported));
  if (unmatched_) unmatched_->set(static_cast<double>(st.unmatched));
  return st;
}

}  // namespace routerpulse::routeros_traffic
