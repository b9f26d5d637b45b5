#include "engine_fixture.hpp"

namespace routerpulse::test {

void ScriptedOutput::write(const BatchView& batch, std::function<void(WriteResult)> done) {
  std::lock_guard lk(mu);
  ++attempts;
  sizes.push_back(batch.size());
  if (ignore_next > 0) {
    --ignore_next;
    return;
  }
  if (reject_next > 0) {
    --reject_next;
    done(WriteResult::rejected("scripted rejection (400)"));
    return;
  }
  if (fail_next > 0) {
    --fail_next;
    done(retry_after > Duration::zero() ? WriteResult::retry_later("scripted 503", retry_after)
                                        : WriteResult::failure("scripted failure"));
    return;
  }
  auto deliver = [this, batch, done] {
    for (const auto& m : batch) delivered.push_back(m.time());
    done(WriteResult::success());
    if (answer_twice) done(WriteResult::success());
  };
  if (hold)
    parked.push_back([this, deliver] {
      std::lock_guard lk2(mu);
      deliver();
    });
  else
    deliver();
}

std::vector<int64_t> ScriptedOutput::got() {
  std::lock_guard lk(mu);
  return delivered;
}

std::vector<size_t> ScriptedOutput::batch_sizes() {
  std::lock_guard lk(mu);
  return sizes;
}

int ScriptedOutput::attempts_seen() {
  std::lock_guard lk(mu);
  return attempts;
}

std::shared_ptr<PluginContext> engine_context(Harness& h, Clock& clock, PluginKind kind, const std::string& id,
                                              const std::string& pipeline) {
  return engine::make_context(engine::ContextSpec{.kind = kind,
                                                  .id = id,
                                                  .plugin = id,
                                                  .pipeline = pipeline,
                                                  .config_dir = "",
                                                  .interval = std::chrono::seconds(10),
                                                  .log = {}},
                              engine::ContextServices{h.io, h.stats, h.health, clock, nullptr, nullptr});
}

MetricBatch numbered(int from, int to, const std::string& name) {
  MetricBatch b;
  for (int i = from; i < to; ++i) {
    Metric m(name, i + 1);
    m.set_field("v", int64_t{i});
    b.push_back(std::move(m));
  }
  return b;
}

std::vector<int64_t> sequence(int from, int to) {
  std::vector<int64_t> v;
  for (int i = from; i < to; ++i) v.push_back(i + 1);
  return v;
}

}  // namespace routerpulse::test
