#include "promtool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace routerpulse::test {

std::string promtool_problems(const std::string& exposition) {
  char path[] = "/tmp/rp-promtool-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("promtool_problems: mkstemp failed");
  ::close(fd);
  std::ofstream(path, std::ios::binary) << exposition;
  std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  std::string report;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("promtool_problems: cannot run promtool");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) report.append(buf, n);
  int st = pclose(p);
  std::remove(path);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (rc != 0 && report.empty()) report = "promtool exited with status " + std::to_string(rc);
  return rc == 0 ? std::string() : report;
}

}  // namespace routerpulse::test
