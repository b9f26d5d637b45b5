// Output `file`: metrics as InfluxDB line protocol or JSON lines to stdout,
// stderr or files (Telegraf's outputs.file). Formatting happens on the strand;
// the blocking write happens on a writer thread the plugin owns, so a slow
// pipe never stalls the event loop.
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse {
namespace {

class FileOutput final : public Output {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "files",
       .type = OptionType::string_list,
       .default_value = "[stdout]",
       .doc = "where to write: paths (appended to; relative to agent.yaml), stdout or stderr"},
      {.name = "data_format",
       .type = OptionType::choice,
       .default_value = "influx",
       .doc = "influx (line protocol) or json (one object per line)",
       .choices = "influx|json"},
      {.name = "flush", .type = OptionType::boolean, .default_value = "true", .doc = "fflush after every batch"},
  };

  /// Pure: what `check` runs.
  static void validate(const Options& o) {
    if (o.strings("files").empty()) throw o.error("files", "needs at least one file (or \"stdout\")");
  }

  FileOutput(const Options& o, PluginContext& ctx)
      : ctx_(ctx), bytes_(ctx.self_metrics.counter("bytes_written_total", "Bytes the file output wrote")) {
    paths_ = o.strings("files");
    format_ = o.str("data_format");
    flush_each_batch_ = o.boolean("flush");
    // Files are opened here (at start-up, never by `check`): a path that
    // cannot be opened stops the agent with a clear error.
    for (const auto& p : paths_) {
      FILE* f = nullptr;
      if (p == "stdout")
        f = stdout;
      else if (p == "stderr")
        f = stderr;
      else {
        f = std::fopen(ctx.resolve_path(p).c_str(), "ae");
        if (!f)
          throw o.error("files", "cannot open " + ctx.resolve_path(p) + " for appending: " + std::strerror(errno));
        owned_.push_back(f);
      }
      files_.push_back(f);
    }
    writer_ = std::thread([this] { writer_loop(); });
  }

  ~FileOutput() override {
    {
      std::lock_guard lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    for (FILE* f : owned_) std::fclose(f);
  }

  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    std::string text;
    text.reserve(batch.size() * 160);
    for (const auto& m : batch) {
      if (format_ == "json") {
        append_json(text, m);
        text.push_back('\n');
      } else {
        append_line_protocol(text, m);
      }
    }
    {
      std::lock_guard lk(mu_);
      queue_.push_back(Job{std::move(text), std::move(done)});
    }
    cv_.notify_one();
  }

 private:
  struct Job {
    std::string text;
    std::function<void(WriteResult)> done;
  };

  void writer_loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return quit_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      std::string error;
      for (size_t i = 0; i < files_.size(); ++i) {
        size_t n = std::fwrite(job.text.data(), 1, job.text.size(), files_[i]);
        if (n != job.text.size() || (flush_each_batch_ && std::fflush(files_[i]) != 0)) {
          error = "writing " + paths_[i] + ": " + std::strerror(errno);
          std::clearerr(files_[i]);
        }
      }
      if (error.empty()) bytes_.inc(job.text.size());
      job.done(error.empty() ? WriteResult::success() : WriteResult::failure(error));
    }
  }

  PluginContext& ctx_;
  Counter& bytes_;
  std::vector<std::string> paths_;
  std::vector<FILE*> files_, owned_;
  std::string format_;
  bool flush_each_batch_ = true;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool quit_ = false;
  std::thread writer_;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(output, file, "Writes metrics as line protocol or JSON lines to stdout or files",
                   routerpulse::FileOutput)
