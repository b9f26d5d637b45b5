// Test support for redis_stream: a real redis-server on a port of its own and
// a small synchronous hiredis client to inspect what the output wrote.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "harness.hpp"

namespace routerpulse::test {

/// A reply from the synchronous client; freed with freeReplyObject.
using RedisReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

/// One stream entry as XRANGE returns it.
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  /// The value of `key`, or nullopt.
  std::optional<std::string> get(const std::string& key) const;
};

/// redis-server started on a free loopback port with its own directory.
/// `--save ""` and no AOF unless `extra` says otherwise. Stopped on destruction.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  /// redis://127.0.0.1:<port>/<db>
  std::string url(int db = 0) const;

  /// SIGKILL and wait for the process to exit.
  void kill();
  /// SIGSTOP / SIGCONT: a hung server that keeps its connections open.
  void pause();
  void resume();
  /// Starts again on the same port, directory and arguments; waits until it answers PING.
  void restart();

  /// Runs one command on a fresh synchronous connection (AUTH `password`
  /// first when set, SELECT `db` when non-zero). Throws std::runtime_error on
  /// connection errors; error replies are returned as replies.
  RedisReplyPtr cmd(const std::vector<std::string>& args, int db = 0) const;
  long long xlen(const std::string& key, int db = 0) const;
  std::vector<StreamEntry> xrange(const std::string& key, int db = 0) const;

  /// Password used by cmd() (for servers started with --requirepass).
  std::string password;

 private:
  void launch();

  TempDir dir_;
  int port_;
  std::vector<std::string> extra_;
  std::unique_ptr<Process> proc_;
};

/// Parses the entries array of an XRANGE / XREADGROUP stream reply.
std::vector<StreamEntry> parse_entries(const redisReply* entries);

}  // namespace routerpulse::test
