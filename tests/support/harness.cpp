#include "harness.hpp"

#include "engine/component_factory.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <random>

#include <boost/asio/post.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#ifndef ROUTERPULSE_TEST_BUILD_DIR
#define ROUTERPULSE_TEST_BUILD_DIR "."
#endif
#ifndef ROUTERPULSE_TEST_SOURCE_DIR
#define ROUTERPULSE_TEST_SOURCE_DIR "."
#endif

namespace routerpulse::test {

std::string build_dir() {
  const char* e = std::getenv("ROUTERPULSE_BUILD_DIR");
  return e ? e : ROUTERPULSE_TEST_BUILD_DIR;
}
std::string source_dir() {
  const char* e = std::getenv("ROUTERPULSE_SOURCE_DIR");
  return e ? e : ROUTERPULSE_TEST_SOURCE_DIR;
}
std::string plugin_dir() { return build_dir() + "/plugins"; }

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rptest-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
  // Services such as PostgreSQL run as another user and need to enter it.
  std::filesystem::permissions(path_, std::filesystem::perms::all);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Process::Process(std::vector<std::string> argv, const std::string& log_file, std::vector<std::string> env) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    if (!log_file.empty()) {
      int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        ::close(fd);
      }
    }
    for (auto& e : env) putenv(e.data());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s failed\n", args[0]);
    _exit(127);
  }
}

Process::~Process() { stop(); }

bool Process::running() {
  if (status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

void Process::stop() {
  if (pid_ <= 0 || !running()) return;
  ::kill(pid_, SIGTERM);
  if (!wait(std::chrono::seconds(5))) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(5));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

int run_command(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool advance_until(ManualClock& clock, Duration step, const std::function<bool()>& pred,
                   std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        if (pred()) return true;
        clock.advance(step);
        return false;
      },
      timeout);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  return wait_until(
      [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(port));
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

Harness::Harness() : loader(plugin_dir()), work_(boost::asio::make_work_guard(io)) {
  config_dir = source_dir();
  thread_ = std::thread([this] { io.run(); });
}

Harness::~Harness() {
  work_.reset();
  io.stop();
  if (thread_.joinable()) thread_.join();
}

namespace {
std::shared_ptr<spdlog::logger> test_logger(const std::string& id) {
  auto log = spdlog::get(id);
  if (!log) {
    log = std::make_shared<spdlog::logger>(id, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_level(spdlog::level::debug);
  }
  return log;
}
}  // namespace

std::shared_ptr<Component> Harness::create(PluginKind kind, const std::string& name, const std::string& yaml_text,
                                           const std::string& id, const std::string& pipeline) {
  const auto& l = loader.get(kind, name);
  std::string cid = id.empty() ? name : id;
  auto ctx =
      engine::make_context(engine::ContextSpec{.kind = kind,
                                               .id = cid,
                                               .plugin = name,
                                               .pipeline = kind == PluginKind::processor ? pipeline : std::string(),
                                               .config_dir = config_dir,
                                               .interval = interval,
                                               .log = test_logger(cid)},
                           engine::ContextServices{io, stats, health, *clock, http, routers});
  if (kind != PluginKind::output) {
    ctx->emit = [this, c = clock](MetricBatch&& b) {
      std::lock_guard lk(mu_);
      for (auto& m : b) {
        if (m.time() == 0) m.set_time(c->now_ns());
        emitted_.push_back(std::move(m));
      }
    };
  }
  auto file = std::make_shared<const std::string>("<test>");
  std::string section = std::string(to_string(kind)) + "s";
  Options opts =
      engine::component_options(*l.descriptor, yaml(yaml_text.empty() ? "{}" : yaml_text), section + "." + cid, file);
  contexts_.push_back(ctx);
  return engine::create_component(*l.descriptor, opts, ctx);
}

void Harness::validate(PluginKind kind, const std::string& name, const std::string& yaml_text) {
  const auto& l = loader.get(kind, name);
  auto file = std::make_shared<const std::string>("<test>");
  Options opts = engine::component_options(*l.descriptor, yaml(yaml_text.empty() ? "{}" : yaml_text),
                                           std::string(to_string(kind)) + "s." + name, file);
  engine::validate_component(*l.descriptor, opts);
}

void Harness::run_on(PluginContext& ctx, const std::function<void()>& fn) {
  std::promise<void> p;
  boost::asio::post(ctx.strand, [&] {
    try {
      fn();
      p.set_value();
    } catch (...) {
      p.set_exception(std::current_exception());
    }
  });
  p.get_future().get();
}

void Harness::start(Component& c, PluginContext& ctx) {
  run_on(ctx, [&] { c.start(); });
}

void Harness::stop(Component& c, PluginContext& ctx) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  boost::asio::post(ctx.strand, [&c, done] { c.stop([done] { done->set_value(); }); });
  f.wait_for(std::chrono::seconds(5));
}

bool Harness::gather(Input& in, PluginContext& ctx, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  boost::asio::post(ctx.strand, [&in, done] { in.gather([done] { done->set_value(); }); });
  return f.wait_for(timeout) == std::future_status::ready;
}

std::optional<MetricBatch> Harness::process(Processor& p, PluginContext& ctx, MetricBatch batch,
                                            std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<MetricBatch>>();
  auto f = done->get_future();
  boost::asio::post(ctx.strand, [&p, done, b = std::move(batch)]() mutable {
    p.process(std::move(b), [done](MetricBatch out) { done->set_value(std::move(out)); });
  });
  if (f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return f.get();
}

std::optional<WriteResult> Harness::write(Output& o, PluginContext& ctx, const MetricBatch& batch,
                                          std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<WriteResult>>();
  auto f = done->get_future();
  // The view (what the engine hands outputs) lives until the output calls done.
  auto view = std::make_shared<BatchView>(batch);
  boost::asio::post(ctx.strand, [&o, done, view] {
    o.write(*view, [done, view](WriteResult r) { done->set_value(std::move(r)); });
  });
  if (f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return f.get();
}

MetricBatch Harness::emitted() {
  std::lock_guard lk(mu_);
  return emitted_;
}

size_t Harness::emitted_count() {
  std::lock_guard lk(mu_);
  return emitted_.size();
}

void Harness::clear_emitted() {
  std::lock_guard lk(mu_);
  emitted_.clear();
}

YAML::Node yaml(const std::string& text) { return load_config_text(text, "<test>", source_dir()); }

}  // namespace routerpulse::test
