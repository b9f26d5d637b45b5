// routeros-sim — network side: one RouterServer (listener + fault state) per
// simulated router, one Connection per API client. Everything runs on one
// io_context thread; nothing here is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "model.hpp"
#include "model_arp.hpp"
#include "routerpulse/routeros/codec.hpp"
#include "scenario.hpp"

namespace routeros_sim {

using tcp = boost::asio::ip::tcp;

/// Process-wide counters, printed by `stats` (control port, SIGUSR1, exit).
struct SimStats {
  uint64_t connections_accepted = 0, connections_open = 0, logins_ok = 0, logins_failed = 0;
  uint64_t commands = 0, sentences_sent = 0, bytes_sent = 0;
  uint64_t monitor_samples_sent = 0, listen_events_sent = 0, faults_applied = 0;
  std::string to_json() const;
};

int64_t wall_ns();

/// A parsed client sentence.
struct Request {
  std::string path;
  Row attrs;        ///< `=key=value` words (`=.proplist=` included)
  std::string tag;  ///< `.tag=`
  std::vector<std::string> proplist;
  bool has_proplist = false;
  std::vector<std::string> queries;  ///< `?...` words
  const std::string* get(const std::string& key) const;
};

class RouterServer;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(RouterServer& router, tcp::socket socket, boost::asio::ssl::context* tls);
  ~Connection();
  void start();
  /// Closes at once (fault drop / down / shutdown).
  void close();
  /// Sends `!fatal <reason>` and closes after it is written.
  void fatal(const std::string& reason);
  /// Writes bytes that are not a valid sentence (a reserved control byte first).
  void garbage();
  /// Called by a RouterServer being destroyed while this connection is still
  /// referenced (by a handler the io_context has not destroyed yet): the
  /// destructor must then not touch the router or its stats.
  void detach() { detached_ = true; }

 private:
  /// A streaming command (monitor-traffic, listen).
  struct Active {
    Request req;
    bool listen = false;
    std::vector<std::string> interfaces;
    bool once = false;
    uint64_t round = 0;
    std::unique_ptr<boost::asio::steady_timer> timer;
    uint64_t listener = 0;
  };

  void read();
  void on_sentence(std::span<const std::string_view> words);
  void handle(const Request& r);
  void login(const Request& r);
  void cancel(const Request& r);
  void send(std::string&& bytes);
  void write_next();
  void stop_active(const std::string& tag);

  // replies
  void reply_row(const Request& r, const Row& row, const char* word = "!re");
  void reply_done(const Request& r, const Row& attrs = {});
  void reply_trap(const Request& r, const std::string& message, int category = -1);
  void reply_rows(const Request& r, const std::vector<Row>& rows);

  // commands (commands.cpp)
  void print(const Request& r, std::vector<Row> rows);
  void monitor_traffic(const Request& r);
  void monitor_round(const std::string& tag);
  void ppp_listen(const Request& r);
  void ping(const Request& r);  // commands_arp.cpp

  RouterServer& router_;
  std::unique_ptr<tcp::socket> plain_;
  std::unique_ptr<boost::asio::ssl::stream<tcp::socket>> tls_;
  routerpulse::routeros::Decoder decoder_;
  std::vector<char> rbuf_;
  std::string out_, writing_;
  bool writing_now_ = false, closing_ = false, closed_ = false, logged_in_ = false, detached_ = false;
  /// Commands held by the `slow` fault; cancelled by close().
  std::vector<std::shared_ptr<boost::asio::steady_timer>> delayed_;
  std::string challenge_;
  std::map<std::string, std::shared_ptr<Active>> active_;
};

class RouterServer {
 public:
  RouterServer(boost::asio::io_context& io, int index, const Scenario& s, SimStats& stats,
               boost::asio::ssl::context* tls, int64_t start_ns);
  RouterServer(const RouterServer&) = delete;
  RouterServer& operator=(const RouterServer&) = delete;
  ~RouterServer();
  /// Binds and accepts; throws std::runtime_error when the port is taken.
  void listen();
  void apply_fault(const FaultSpec& f);
  void churn_tick();
  /// Process shutdown: closes the listener and every connection and cancels
  /// the fault and churn timers. Only aborted handlers are left to run
  /// (io_context::poll), after which no Connection of this router is alive.
  void shutdown();

  boost::asio::io_context& io;
  RouterModel model;
  ArpModel arp;
  const Scenario& scenario;
  SimStats& stats;
  int index;
  int port;
  bool stalled = false;
  bool shut_down = false;
  int delay_ms = 0;
  std::set<Connection*> connections;

 private:
  void accept();
  void act(const std::string& mode);
  void close_acceptor();

  boost::asio::ssl::context* tls_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  boost::asio::steady_timer fault_timer_, churn_timer_;
  FaultSpec fault_;
};

}  // namespace routeros_sim
