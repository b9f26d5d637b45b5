// Core test support: a scripted output and engine contexts built the way the
// engine builds them (engine::make_context), driven by a ManualClock.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "engine/component_factory.hpp"
#include "engine/output_runner.hpp"
#include "harness.hpp"

namespace routerpulse::test {

/// An output whose behaviour the test scripts: fail N times, never answer,
/// hold writes, answer twice, or succeed.
class ScriptedOutput final : public Output {
 public:
  static constexpr std::array<OptionSpec, 0> options{};
  std::mutex mu;
  std::vector<int64_t> delivered;  // metric times, in delivery order
  std::vector<size_t> sizes;       // batch size of every write attempt
  int fail_next = 0;
  int reject_next = 0;                  // answer WriteResult::rejected (not retried)
  Duration retry_after{0};              // with fail_next: WriteResult::retry_later(after)
  int ignore_next = 0;  // never answer these writes
  bool hold = false;    // park done() until the test runs parked[i]()
  bool answer_twice = false;
  std::vector<std::function<void()>> parked;
  int attempts = 0;

  void write(const BatchView& batch, std::function<void(WriteResult)> done) override;
  std::vector<int64_t> got();
  int attempts_seen();
  std::vector<size_t> batch_sizes();
};

/// A context for component `id` of `kind` on the harness's io_context and `clock`.
std::shared_ptr<PluginContext> engine_context(Harness& h, Clock& clock, PluginKind kind, const std::string& id,
                                              const std::string& pipeline = {});

/// `n` metrics named `name`; metric i has time from+i+1 (time doubles as a sequence number).
MetricBatch numbered(int from, int to, const std::string& name = "m");
std::vector<int64_t> sequence(int from, int to);

}  // namespace routerpulse::test
