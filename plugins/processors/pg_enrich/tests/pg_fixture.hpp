// Test support: a real PostgreSQL 15 server of the test's own.
//
// PgServer runs `initdb -A trust` into a TempDir and starts `postgres` on a
// free loopback port with its Unix socket in the same directory. PostgreSQL
// refuses to run as root, so both run as the `postgres` user through
// `runuser -u postgres --` (TempDir is mode 777). Stopping uses
// `pg_ctl stop -m fast|immediate` so a test can take the server away and bring
// it back on the same port and data directory. SQL is run with psql over TCP
// as the `postgres` role (trust authentication).
// Threading: use from the test thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace routerpulse::test {

class PgServer {
 public:
  /// initdb + start; throws std::runtime_error (with the server log) on failure.
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  /// libpq keyword/value DSN for database `db` on this server.
  std::string dsn(const std::string& db = "postgres") const;

  /// Starts the server (again) on the same port and data dir; waits until it answers.
  void start();
  /// `pg_ctl stop` with mode "fast" (clean, disconnects clients) or "immediate" (crash-like).
  void stop(const std::string& mode = "fast");
  bool running() const { return proc_ != nullptr; }
  /// SIGSTOP / SIGCONT to every server process: it keeps its sockets but
  /// stops answering (a hung or black-holed database).
  void freeze();
  void thaw();

  /// Runs SQL with psql (ON_ERROR_STOP); returns psql's exit status, stdout in `out`.
  int psql(const std::string& sql, std::string* out = nullptr) const;
  /// Like psql() but throws std::runtime_error when psql fails.
  std::string sql(const std::string& sql) const;
  /// Runs an SQL file (e.g. etc/schema.sql); throws on failure.
  void sql_file(const std::string& path) const;
  /// Loads etc/schema.sql from the source tree.
  void load_schema() const;

  /// The server log (for failure messages).
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> proc_;
  std::vector<int> frozen_;  // pids stopped by freeze()
};

}  // namespace routerpulse::test
