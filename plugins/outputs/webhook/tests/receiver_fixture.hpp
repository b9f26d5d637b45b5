// Test fixture: the loopback receiver (receiver.py) on its own port, its
// request log and its answer plan.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace routerpulse::test {

inline std::string webhook_source(const std::string& rel) { return source_dir() + "/plugins/outputs/webhook/" + rel; }

class Receiver {
 public:
  struct Tls {
    std::string cert, key;
  };
  explicit Receiver(const TempDir& dir, std::vector<std::string> extra = {}, const Tls* tls = nullptr)
      : port_(free_port()), log_(dir.file("requests.jsonl")), plan_(dir.file("plan.json")) {
    write_file(plan_, "[]");
    std::vector<std::string> argv{
        "python3", webhook_source("tests/receiver.py"), "--port", std::to_string(port_), "--log", log_, "--plan",
        plan_};
    for (auto& e : extra) argv.push_back(e);
    if (tls) {
      argv.insert(argv.end(), {"--cert", tls->cert, "--key", tls->key});
    }
    proc_ = std::make_unique<Process>(argv, dir.file("receiver.out"));
    if (!wait_for_port(port_, std::chrono::seconds(10)))
      throw std::runtime_error("receiver did not start: " + read_file(dir.file("receiver.out")));
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  /// Answers for the next requests, in order (then 200).
  void plan(const nlohmann::json& steps) { write_file(plan_, steps.dump()); }
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(read_file(log_));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  size_t count() const { return requests().size(); }

 private:
  int port_;
  std::string log_, plan_;
  std::unique_ptr<Process> proc_;
};

}  // namespace routerpulse::test
