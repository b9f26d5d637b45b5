#include "pg_fixture.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace routerpulse::test {

namespace {

const std::string kBin = "/usr/lib/postgresql/15/bin/";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

PgServer::PgServer() : port_(free_port()) {
  std::string out;
  std::string cmd = "runuser -u postgres -- " + kBin + "initdb -D " + shell_quote(dir_.file("data")) +
                    " -A trust -U postgres -E UTF8 --no-sync >" + shell_quote(dir_.file("initdb.log")) + " 2>&1";
  if (run_command(cmd, &out) != 0) {
    std::ifstream f(dir_.file("initdb.log"));
    std::stringstream ss;
    ss << f.rdbuf();
    throw std::runtime_error("initdb failed: " + ss.str());
  }
  start();
}

PgServer::~PgServer() {
  thaw();
  if (proc_) stop("immediate");
}

void PgServer::freeze() {
  if (!proc_ || !frozen_.empty()) return;
  // The postmaster's pid is the first line of postmaster.pid; every backend
  // calls setsid(), so the set is "postmaster + its children", not a group.
  std::ifstream pidfile(dir_.file("data/postmaster.pid"));
  int postmaster = 0;
  if (!(pidfile >> postmaster) || postmaster <= 0) throw std::runtime_error("no postmaster.pid");
  frozen_.push_back(postmaster);
  ::kill(postmaster, SIGSTOP);  // first, so it forks nothing new
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');  // "pid (comm) state ppid ..."
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == postmaster) {
      int pid = std::stoi(name);
      ::kill(pid, SIGSTOP);
      frozen_.push_back(pid);
    }
  }
}

void PgServer::thaw() {
  if (frozen_.empty()) return;
  for (int pid : frozen_) ::kill(pid, SIGCONT);
  frozen_.clear();
  // runuser stops itself when its child stops (job-control emulation of su);
  // it must be continued too or it never reaps the server.
  if (proc_) ::kill(proc_->pid(), SIGCONT);
}

std::string PgServer::dsn(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db + " user=postgres";
}

void PgServer::start() {
  if (proc_) return;
  proc_ = std::make_unique<Process>(
      std::vector<std::string>{"runuser", "-u", "postgres", "--", kBin + "postgres", "-D", dir_.file("data"), "-p",
                               std::to_string(port_), "-k", dir_.path(), "-c", "listen_addresses=127.0.0.1", "-c",
                               "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"},
      dir_.file("postgres.log"));
  bool up = wait_until([this] { return psql("SELECT 1") == 0 || !proc_->running(); }, std::chrono::seconds(30));
  if (!up || !proc_->running()) {
    proc_.reset();
    throw std::runtime_error("PostgreSQL did not start on port " + std::to_string(port_) + ":\n" + log());
  }
}

void PgServer::stop(const std::string& mode) {
  if (!proc_) return;
  thaw();
  run_command("runuser -u postgres -- " + kBin + "pg_ctl stop -D " + shell_quote(dir_.file("data")) + " -m " + mode +
              " -w -t 30 >/dev/null 2>&1");
  if (!proc_->wait(std::chrono::seconds(10))) proc_->stop();
  proc_.reset();
}

int PgServer::psql(const std::string& sql, std::string* out) const {
  std::string cmd = kBin + "psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                    " -U postgres -d postgres -c " + shell_quote(sql) + " 2>&1";
  return run_command(cmd, out);
}

std::string PgServer::sql(const std::string& sql) const {
  std::string out;
  if (psql(sql, &out) != 0) throw std::runtime_error("psql failed: " + sql + "\n" + out);
  return out;
}

void PgServer::sql_file(const std::string& path) const {
  std::string out;
  std::string cmd = kBin + "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                    " -U postgres -d postgres -f " + shell_quote(path) + " 2>&1";
  if (run_command(cmd, &out) != 0) throw std::runtime_error("psql -f " + path + " failed:\n" + out);
}

void PgServer::load_schema() const { sql_file(source_dir() + "/etc/schema.sql"); }

std::string PgServer::log() const {
  std::ifstream f(dir_.file("postgres.log"));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace routerpulse::test
