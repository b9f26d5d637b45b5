// pg_enrich — processor plugin: adds customer tags/fields from PostgreSQL to
// every metric that carries `key_tag` (e.g. the PPPoE user name), without ever
// blocking the pipeline. See README.md for options, metrics and examples, and
// enricher.hpp for how batches, lookups and the session work.
#include <boost/asio/post.hpp>

#include "enricher.hpp"
#include "pg_dsn.hpp"
#include "routerpulse/plugin.hpp"
#include "settings.hpp"
#include "validate.hpp"

namespace routerpulse::pg_enrich {

namespace {

Settings read_and_validate(const Options& o, PluginContext& ctx) {
  Settings s = Settings::read(o);
  if (!s.validate) return s;
  ValidationOutcome v = validate_now(s);
  switch (v.kind) {
    case ValidationOutcome::Kind::ok:
      ctx.log->debug("query checked against PostgreSQL ({})", parse_dsn(s.dsn).display());
      break;
    case ValidationOutcome::Kind::unreachable:
      ctx.log->warn("could not check the SQL against PostgreSQL now ({}): {}; it is checked again on connect",
                    parse_dsn(s.dsn).display(), v.message);
      break;
    case ValidationOutcome::Kind::sql_error:
      throw o.error(v.option, v.message);
  }
  return s;
}

}  // namespace

class PgEnrich final : public Processor {
 public:
  PgEnrich(const Options& o, PluginContext& ctx)
      : strand_(ctx.strand), core_(std::make_shared<Enricher>(read_and_validate(o, ctx), ctx)) {}

  ~PgEnrich() override {
    // Runs on the strand if the loop still runs; otherwise the handler (and
    // with it the last reference) is destroyed with the io_context.
    boost::asio::post(strand_, [core = core_] { core->abandon(); });
  }

  void start() override { core_->start(); }

  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override {
    core_->process(std::move(batch), std::move(next));
  }

  void stop(std::function<void()> done) override {
    core_->stop();
    done();
  }

 private:
  Strand strand_;
  std::shared_ptr<Enricher> core_;
};

}  // namespace routerpulse::pg_enrich

ROUTERPULSE_PLUGIN(processor, pg_enrich, "Adds customer tags/fields from PostgreSQL (cached, non-blocking)",
                   routerpulse::pg_enrich::PgEnrich)
