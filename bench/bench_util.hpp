// Shared helpers for benchmark programs.
#pragma once

#include <sys/resource.h>

namespace routerpulse::bench {

/// User + system CPU seconds this process used so far.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace routerpulse::bench
