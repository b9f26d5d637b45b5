// The standard Prometheus process collector, read from procfs (proc(5)).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "routerpulse/exposition.hpp"
#include "http/http_server.hpp"

namespace routerpulse {
namespace {

std::string read_small_file(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Seconds since the epoch at boot: `btime` in /proc/stat.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = -1;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

/// Fields of /proc/self/stat after the `(comm)` field, which may contain
/// spaces and parentheses (so parsing starts after the last ')').
std::vector<std::string> self_stat_fields() {
  std::string s = read_small_file("/proc/self/stat");
  auto close = s.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos) return out;
  std::istringstream rest(s.substr(close + 1));
  std::string f;
  while (rest >> f) out.push_back(f);
  return out;
}

double to_double(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() ? -1 : v;
}

void gauge_family(std::string& out, const char* name, const char* help, double v) {
  if (v < 0) return;
  exposition::append_family_header(out, name, help, "gauge");
  out += name;
  out.push_back(' ');
  exposition::append_value(out, v);
  out.push_back('\n');
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats p;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    p.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  // proc(5): after "pid (comm)" come state(3) … num_threads(20) … starttime(22)
  // vsize(23) rss(24); index 0 here is field 3.
  auto f = self_stat_fields();
  if (f.size() >= 22) {
    const long page = sysconf(_SC_PAGESIZE);
    const long ticks = sysconf(_SC_CLK_TCK);
    p.threads = to_double(f[20 - 3]);
    p.virtual_memory_bytes = to_double(f[23 - 3]);
    double rss_pages = to_double(f[24 - 3]);
    if (rss_pages >= 0) p.resident_memory_bytes = rss_pages * static_cast<double>(page);
    double boot = boot_time_seconds();
    double start = to_double(f[22 - 3]);
    if (boot >= 0 && start >= 0 && ticks > 0) p.start_time_seconds = boot + start / static_cast<double>(ticks);
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) p.open_fds = fds;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) p.max_fds = static_cast<double>(rl.rlim_cur);
  return p;
}

void write_process_metrics(std::string& out) {
  ProcessStats p = read_process_stats();
  if (p.cpu_seconds >= 0) {
    exposition::append_family_header(out, "process_cpu_seconds_total",
                                     "Total user and system CPU time spent in seconds.", "counter");
    out += "process_cpu_seconds_total ";
    exposition::append_value(out, p.cpu_seconds);
    out.push_back('\n');
  }
  gauge_family(out, "process_resident_memory_bytes", "Resident memory size in bytes.", p.resident_memory_bytes);
  gauge_family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtual_memory_bytes);
  gauge_family(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
               p.start_time_seconds);
  gauge_family(out, "process_open_fds", "Number of open file descriptors.", p.open_fds);
  gauge_family(out, "process_max_fds", "Maximum number of open file descriptors.", p.max_fds);
  gauge_family(out, "process_threads", "Number of OS threads in the process.", p.threads);
}

}  // namespace routerpulse
