// routeros-sim — the control port: a line protocol for tests and benchmarks
// to inject faults and read counters at runtime (README.md, "Control port").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "server.hpp"

namespace routeros_sim {

struct ControlConn;

class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, const std::string& bind, int port,
                std::vector<std::unique_ptr<RouterServer>>& routers, SimStats& stats);
  /// Executes one command line and returns the one-line answer
  /// (`ok`, `pong`, JSON, a number, or `error: ...`).
  std::string execute(const std::string& line);
  /// Process shutdown: closes the listener and every control connection.
  void shutdown();

 private:
  void accept();
  tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<ControlConn>> conns_;
  bool shut_down_ = false;
  std::vector<std::unique_ptr<RouterServer>>& routers_;
  SimStats& stats_;
};

}  // namespace routeros_sim
