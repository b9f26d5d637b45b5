#include "pg_enrich_test_util.hpp"

#include <thread>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace routerpulse::test {

std::vector<std::future<MetricBatch>> EnrichUnderTest::process_all(std::vector<MetricBatch> batches,
                                                                   std::vector<int>* completion_order) {
  auto promises = std::make_shared<std::vector<std::promise<MetricBatch>>>(batches.size());
  std::vector<std::future<MetricBatch>> futures;
  for (auto& p : *promises) futures.push_back(p.get_future());
  auto order = std::make_shared<std::mutex>();
  h.run_on(*ctx, [&] {
    for (size_t i = 0; i < batches.size(); ++i) {
      processor().process(std::move(batches[i]), [promises, i, completion_order, order](MetricBatch out) {
        if (completion_order) {
          std::lock_guard lk(*order);
          completion_order->push_back(static_cast<int>(i));
        }
        (*promises)[i].set_value(std::move(out));
      });
    }
  });
  return futures;
}

uint64_t EnrichUnderTest::counter(const std::string& name) { return ctx->self_metrics.counter(name, "").value(); }

double EnrichUnderTest::gauge(const std::string& name) { return ctx->self_metrics.gauge(name, "").value(); }

std::string EnrichUnderTest::health() {
  // {"status":..,"components":{"<key>":{"status":..,"detail":..}},"routers":{..}}
  auto j = nlohmann::json::parse(h.health.to_json());
  const auto& c = j["components"];
  auto it = c.find(ctx->health.key());
  if (it == c.end()) return {};
  return it->value("status", std::string()) + ": " + it->value("detail", std::string());
}

std::unique_ptr<EnrichUnderTest> make_enrich(Harness& h, const std::string& yaml, const std::string& pipeline,
                                             const std::string& id) {
  auto e = std::make_unique<EnrichUnderTest>(h);
  e->component = h.create(PluginKind::processor, "pg_enrich", yaml, id, pipeline);
  e->ctx = &h.last_context();
  return e;
}

std::string enrich_yaml(const PgServer& pg, const std::string& extra, const std::string& tags) {
  std::string y = "dsn: \"" + pg.dsn() + "\"\n" +
                  "key_tag: pppoe_user\n"
                  "query: \"SELECT id::text AS customer_id, name, package, service_type, id AS customer_number "
                  "FROM customers WHERE pppoe_username = $1\"\n"
                  "tags: " +
                  tags + "\n";
  if (!extra.empty()) y += extra + "\n";
  return y;
}

Metric traffic(const std::string& user, int64_t rx_bps) {
  Metric m("pppoe_traffic", 1700000000000000000LL);
  m.set_tag("pppoe_user", user).set_tag("router", "pop1-core").set_field("rx_bps", rx_bps);
  return m;
}

void seed_customers(const PgServer& pg, int n) {
  pg.load_schema();
  pg.sql(
      "INSERT INTO customers (name, service_type, pppoe_username, package, router) "
      "SELECT 'Customer ' || g, 'pppoe', 'user' || lpad(g::text, 5, '0'), 'pkg-' || (g % 10), 'pop1-core' "
      "FROM generate_series(1, " +
      std::to_string(n) + ") AS g");
}

std::string tag_of(const Metric& m, const std::string& key) {
  const std::string* v = m.tag(key);
  return v ? *v : std::string();
}

std::optional<MetricBatch> get_advancing(std::future<MetricBatch>& f, ManualClock& clock, Duration step,
                                         std::chrono::milliseconds timeout) {
  bool ready = advance_until(
      clock, step, [&] { return f.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready; }, timeout);
  if (!ready) return std::nullopt;
  return f.get();
}

std::vector<std::string> LogCapture::lines(spdlog::level::level_enum level) {
  std::lock_guard lk(mutex_);
  std::vector<std::string> out;
  for (const auto& [l, text] : lines_)
    if (l >= level) out.push_back(text);
  return out;
}

void LogCapture::sink_it_(const spdlog::details::log_msg& msg) {
  lines_.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
}

CapturedLog::CapturedLog(std::string logger_id) : id(std::move(logger_id)) {
  spdlog::drop(id);
  auto log = std::make_shared<spdlog::logger>(id, sink);
  log->set_level(spdlog::level::debug);
  spdlog::register_logger(log);
}

CapturedLog::~CapturedLog() { spdlog::drop(id); }

}  // namespace routerpulse::test
