// Test support: a blocking Server-Sent Events reader on a fresh connection.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace routerpulse::test {

/// Opens GET `target` on 127.0.0.1:port and reads the event stream.
class SseClient {
 public:
  SseClient(int port, const std::string& target, const std::map<std::string, std::string>& headers = {});
  ~SseClient();
  /// Status code of the response head (read in the constructor; 0 if none).
  int status() const { return status_; }
  /// The head's lower-case headers.
  const std::map<std::string, std::string>& headers() const { return headers_; }
  /// Reads until one complete event (`event:`/`data:` block) arrived or
  /// `timeout` passed. Returns the data of the event (lines joined with \n)
  /// and sets `event` to its name; empty on timeout or connection end.
  std::string next(std::string& event, std::chrono::milliseconds timeout);
  /// The connection was closed by the server.
  bool closed() const { return closed_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  bool closed_ = false;
};

}  // namespace routerpulse::test
