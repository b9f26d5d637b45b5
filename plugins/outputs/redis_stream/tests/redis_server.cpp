#include "redis_server.hpp"

#include <signal.h>

#include <stdexcept>

namespace routerpulse::test {

std::optional<std::string> StreamEntry::get(const std::string& key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return std::nullopt;
}

RedisServer::RedisServer(std::vector<std::string> extra) : port_(free_port()), extra_(std::move(extra)) { launch(); }

RedisServer::~RedisServer() {
  if (proc_) {
    proc_->signal(SIGCONT);
    proc_->stop();
  }
}

std::string RedisServer::url(int db) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

void RedisServer::launch() {
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--save",       "",       "--appendonly",        "no",     "--dir",
                                dir_.path()};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  proc_ = std::make_unique<Process>(argv, dir_.file("redis.log"));
  bool up = wait_until(
      [this] {
        if (!proc_->running()) return true;
        try {
          // Up once it answers PING: +PONG, or -NOAUTH with --requirepass
          // before the test set `password`; not while -LOADING the AOF.
          auto r = cmd({"PING"});
          if (r->type == REDIS_REPLY_STATUS) return true;
          return r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("LOADING", 0) != 0;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20));
  if (!up || !proc_->running()) {
    std::string log;
    run_command("cat " + dir_.file("redis.log"), &log);
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) + ": " + log);
  }
}

void RedisServer::kill() {
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds(10));
}

void RedisServer::pause() { proc_->signal(SIGSTOP); }
void RedisServer::resume() { proc_->signal(SIGCONT); }

void RedisServer::restart() {
  if (proc_->running()) kill();
  launch();
}

RedisReplyPtr RedisServer::cmd(const std::vector<std::string>& args, int db) const {
  timeval tv{5, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnectWithTimeout("127.0.0.1", port_, tv), redisFree);
  if (!c || c->err) throw std::runtime_error("connect to redis: " + std::string(c ? c->errstr : "out of memory"));
  redisSetTimeout(c.get(), tv);
  auto run = [&](const std::vector<std::string>& a) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& s : a) {
      argv.push_back(s.data());
      lens.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(a.size()), argv.data(), lens.data()));
    if (!r) throw std::runtime_error("redis command failed: " + std::string(c->errstr));
    return RedisReplyPtr(r, freeReplyObject);
  };
  if (!password.empty()) run({"AUTH", password});
  if (db != 0) run({"SELECT", std::to_string(db)});
  return run(args);
}

long long RedisServer::xlen(const std::string& key, int db) const {
  auto r = cmd({"XLEN", key}, db);
  if (r->type != REDIS_REPLY_INTEGER) throw std::runtime_error("XLEN: unexpected reply");
  return r->integer;
}

std::vector<StreamEntry> parse_entries(const redisReply* r) {
  std::vector<StreamEntry> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    StreamEntry se;
    se.id.assign(e->element[0]->str, e->element[0]->len);
    const redisReply* kv = e->element[1];
    for (size_t j = 0; j + 1 < kv->elements; j += 2)
      se.fields.emplace_back(std::string(kv->element[j]->str, kv->element[j]->len),
                             std::string(kv->element[j + 1]->str, kv->element[j + 1]->len));
    out.push_back(std::move(se));
  }
  return out;
}

std::vector<StreamEntry> RedisServer::xrange(const std::string& key, int db) const {
  auto r = cmd({"XRANGE", key, "-", "+"}, db);
  return parse_entries(r.get());
}

}  // namespace routerpulse::test
