// Test support: lint Prometheus text exposition with the real `promtool`.
#pragma once

#include <string>

namespace routerpulse::test {

/// Runs `promtool check metrics` (Debian package `prometheus`) on `exposition`.
/// Returns promtool's report, or "" when it found no problem.
std::string promtool_problems(const std::string& exposition);

}  // namespace routerpulse::test
