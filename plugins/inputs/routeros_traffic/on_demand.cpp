// routeros_traffic — on-demand monitors (see on_demand.hpp).
#include "on_demand.hpp"

#include <atomic>

#include <nlohmann/json.hpp>

#include "metric_builders.hpp"
#include "pppoe_session.hpp"
#include "router_traffic.hpp"
#include "sample_sink.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;
using nlohmann::json;

namespace {
std::atomic<uint64_t> g_next_id{1};  // ids are unique across instances
}

struct OnDemand::Monitor {
  std::string id, router, user, iface;
  int64_t created_ns = 0;
  SteadyTime expires{};
  Duration ttl{};
  rr::StreamPtr stream;
  std::unique_ptr<Timer> timer;
  std::shared_ptr<SampleSink> sink;
};

OnDemand::OnDemand(TrafficInput& input) : input_(input) {}

OnDemand::~OnDemand() {
  for (auto& [id, m] : monitors_)
    if (m->stream) m->stream->cancel();
}

void OnDemand::add_router(RouterTraffic& part) {
  PluginContext& ctx = input_.ctx();
  const auto& o = input_.settings();
  auto sink = std::make_shared<SampleSink>(SampleSink::Deps{ctx.emit, ctx.clock, part.stats().samples,
                                                            part.stats().errors("parse"), input_.sample_delay(),
                                                            o.sample_time, o.batch_size});
  routers_.push_back(Router{&part, std::move(sink)});
}

std::vector<std::pair<std::string, std::shared_ptr<SampleSink>>> OnDemand::sinks() const {
  std::vector<std::pair<std::string, std::shared_ptr<SampleSink>>> out;
  for (const auto& r : routers_) out.emplace_back(r.part->name(), r.sink);
  return out;
}

size_t OnDemand::count_on(const std::string& router) const {
  size_t n = 0;
  for (const auto& [id, m] : monitors_) n += m->router == router;
  return n;
}

std::string OnDemand::monitor_json(const Monitor& m) const {
  const auto left = std::chrono::duration<double>(m.expires - input_.ctx().clock.steady_now()).count();
  return json{{"id", m.id},
              {"router", m.router},
              {"user", m.user},
              {"interface", m.iface},
              {"created_ns", m.created_ns},
              {"ttl_seconds", std::chrono::duration<double>(m.ttl).count()},
              {"expires_in_seconds", left > 0 ? left : 0.0}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

void OnDemand::create(const std::string& user, const std::string& router, Duration ttl, ApiReply reply,
                      std::function<void(ApiReply)> next) {
  if (stopped_) return reply.error(503, "the routeros_traffic input is stopping");
  const std::string iface = pppoe_interface(user);
  // An existing monitor: extend it.
  for (auto& [id, m] : monitors_) {
    if (m->user != user || (!router.empty() && m->router != router)) continue;
    m->ttl = ttl;
    m->expires = input_.ctx().clock.steady_now() + std::chrono::duration_cast<SteadyTime::duration>(ttl);
    m->timer->arm(ttl, input_.guarded([this, id = m->id] { end(id, "expired"); }));
    return reply.json(200, monitor_json(*m));
  }
  // A tracked session?
  for (auto& r : routers_) {
    if (!router.empty() && r.part->name() != router) continue;
    auto* t = r.part->tracker();
    if (!t) continue;
    for (const auto& [id, s] : t->sessions()) {
      if (s.user != user) continue;
      if (r.part->is_monitored(s.interface))
        return reply.error(409, "user " + user + " is already streamed continuously on " + r.part->name() +
                                    "; use /api/v1/traffic/stream?user=" + user);
      return start_monitor(r, user, s.interface, s.caller_id, ttl, reply);
    }
  }
  // Not tracked (pppoe: none, filtered): ask the routers.
  struct Lookup {
    size_t left = 0;
    bool done = false;
  };
  auto look = std::make_shared<Lookup>();
  std::vector<Router*> candidates;
  for (auto& r : routers_)
    if (router.empty() || r.part->name() == router) candidates.push_back(&r);
  auto not_found = [user, router](ApiReply rep, std::function<void(ApiReply)> nxt) {
    if (nxt) return nxt(rep);
    rep.error(404, "user \"" + user + "\" has no active PPPoE session" +
                       (router.empty() ? std::string(" on any tracked router") : " on " + router));
  };
  if (candidates.empty()) return not_found(reply, next);
  look->left = candidates.size();
  for (Router* r : candidates) {
    rr::Command cmd("/ppp/active/print");
    cmd.query("?name=" + user);
    rr::CommandOptions o;
    o.executor = input_.ctx().strand;
    o.timeout = std::chrono::seconds(3);
    r->part->api().execute(
        std::move(cmd),
        input_.guarded([this, r, look, user, iface, ttl, reply, next, not_found](rr::Result res) mutable {
          --look->left;
          if (look->done) return;
          if (res.ok()) {
            for (const auto& row : res.rows) {
              if (row.get_or("name") != user) continue;
              if (auto svc = row.get("service"); svc && *svc != "pppoe") continue;
              look->done = true;
              return start_monitor(*r, user, iface, row.get_or("caller-id"), ttl, reply);
            }
          }
          if (look->left == 0) {
            look->done = true;
            not_found(reply, next);
          }
        }),
        o);
  }
}

void OnDemand::start_monitor(Router& r, const std::string& user, const std::string& iface,
                             const std::string& caller_id, Duration ttl, ApiReply reply) {
  const std::string router = r.part->name();
  const size_t max = input_.settings().max_on_demand;
  if (count_on(router) >= max)
    return reply.error(429, "all " + std::to_string(max) + " on-demand monitor slots of router " + router +
                                " are in use (max_on_demand); DELETE one or wait for a TTL to end");
  auto m = std::make_unique<Monitor>();
  m->id = "od" + std::to_string(g_next_id.fetch_add(1));
  m->router = router;
  m->user = user;
  m->iface = iface;
  m->ttl = ttl;
  m->created_ns = input_.ctx().clock.now_ns();
  m->expires = input_.ctx().clock.steady_now() + std::chrono::duration_cast<SteadyTime::duration>(ttl);
  m->sink = r.sink;
  PppoeSession s;
  s.user = user;
  s.interface = iface;
  s.caller_id = caller_id;
  Metric proto = pppoe_traffic_prototype(router, s);
  proto.set_tag("on_demand", "true");
  r.sink->set(iface, proto);
  rr::Command cmd("/interface/monitor-traffic");
  cmd.attr("interface", iface);
  cmd.proplist(monitor_traffic_proplist());
  rr::StreamOptions so;
  so.executor = input_.ctx().strand;
  so.on_row = [sink = r.sink](const rr::RowView& row) { sink->on_row(row); };
  so.on_read_end = [sink = r.sink] { sink->read_end(); };
  so.idle_timeout = std::chrono::seconds(5);
  const std::string id = m->id;
  m->stream = r.part->api().stream(
      std::move(cmd), [](const rr::Reply&) {},
      input_.guarded([this, id](const rr::StreamEvent& ev) {
        if (ev.type == rr::StreamEventType::ended && ev.error.kind != rr::ErrorKind::stopped) end(id, "ended");
      }),
      so);
  m->timer = input_.ctx().clock.make_timer(input_.ctx().strand);
  m->timer->arm(ttl, input_.guarded([this, id] { end(id, "expired"); }));
  input_.ctx().log->info("on-demand monitor {} started: {} on {} for {:.0f}s", id, user, router,
                         std::chrono::duration<double>(ttl).count());
  const std::string body = monitor_json(*m);
  monitors_.emplace(id, std::move(m));
  reply.json(201, body);
}

void OnDemand::list(std::vector<std::string>& out, std::map<std::string, int64_t>& slots) const {
  for (const auto& [id, m] : monitors_) out.push_back(monitor_json(*m));
  const auto max = static_cast<int64_t>(input_.settings().max_on_demand);
  for (const auto& r : routers_) slots[r.part->name()] = max - static_cast<int64_t>(count_on(r.part->name()));
}

bool OnDemand::remove(const std::string& id) {
  if (!monitors_.count(id)) return false;
  end(id, "deleted");
  return true;
}

void OnDemand::end(const std::string& id, const char* why) {
  auto it = monitors_.find(id);
  if (it == monitors_.end()) return;
  auto& m = *it->second;
  if (m.stream) m.stream->cancel();
  if (m.timer) m.timer->cancel();
  // Another monitor of the same interface (other router) keeps its own sink entry.
  m.sink->erase(m.iface);
  input_.ctx().log->info("on-demand monitor {} ({} on {}) {}", id, m.user, m.router, why);
  monitors_.erase(it);
}

void OnDemand::stop() {
  stopped_ = true;
  std::vector<std::string> ids;
  for (const auto& [id, m] : monitors_) ids.push_back(id);
  for (const auto& id : ids) end(id, "stopped");
  for (auto& r : routers_) r.sink->stop();
}

}  // namespace routerpulse::routeros_traffic
