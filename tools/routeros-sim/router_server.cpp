// routeros-sim — one simulated router's listener, faults and churn timer.
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <iostream>
#include <stdexcept>

#include "server.hpp"

namespace routeros_sim {

std::string SimStats::to_json() const {
  return fmt::format(
      "{{\"connections_accepted\":{},\"connections_open\":{},\"logins_ok\":{},\"logins_failed\":{},"
      "\"commands\":{},\"sentences_sent\":{},\"bytes_sent\":{},\"monitor_samples_sent\":{},"
      "\"listen_events_sent\":{},\"faults_applied\":{}}}",
      connections_accepted, connections_open, logins_ok, logins_failed, commands, sentences_sent, bytes_sent,
      monitor_samples_sent, listen_events_sent, faults_applied);
}

RouterServer::RouterServer(boost::asio::io_context& io_, int index_, const Scenario& s, SimStats& stats_,
                           boost::asio::ssl::context* tls, int64_t start_ns)
    : io(io_),
      model(index_, s, start_ns),
      arp(index_, s, start_ns),
      scenario(s),
      stats(stats_),
      index(index_),
      port(s.base_port + index_),
      tls_(tls),
      fault_timer_(io_),
      churn_timer_(io_) {
  if (s.churn_per_min > 0) churn_tick();
}

RouterServer::~RouterServer() {
  // Normally shutdown() and the io_context drain in main() have destroyed every
  // connection. Any still referenced by a pending handler would be destroyed
  // with the io_context, after this object: it must not touch us then.
  for (auto* c : connections) c->detach();
}

void RouterServer::shutdown() {
  shut_down = true;
  close_acceptor();
  fault_timer_.cancel();
  churn_timer_.cancel();
  auto conns = connections;  // closing does not destroy (handlers hold them), but copy anyway
  for (auto* c : conns) c->close();
}

void RouterServer::listen() {
  if (acceptor_ || shut_down) return;
  auto a = std::make_unique<tcp::acceptor>(io);
  tcp::endpoint ep(boost::asio::ip::make_address(scenario.bind), static_cast<unsigned short>(port));
  boost::system::error_code ec;
  a->open(ep.protocol(), ec);
  if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a->bind(ep, ec);
  if (!ec) a->listen(1024, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", scenario.bind, port, ec.message()));
  acceptor_ = std::move(a);
  accept();
}

void RouterServer::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket sock) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_) return;
    if (!ec) {
      boost::system::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Connection>(*this, std::move(sock), tls_)->start();
    }
    accept();
  });
}

void RouterServer::close_acceptor() {
  if (!acceptor_) return;
  boost::system::error_code ec;
  acceptor_->close(ec);
  acceptor_.reset();
}

void RouterServer::act(const std::string& mode) {
  auto conns = connections;  // closing removes from the set
  if (mode == "drop" || mode == "down") {
    for (auto* c : conns) c->close();
  } else if (mode == "fatal") {
    for (auto* c : conns) c->fatal("simulated failure");
  } else if (mode == "garbage") {
    for (auto* c : conns) c->garbage();
  }
  if (mode == "down") close_acceptor();
  if (mode == "stall") stalled = true;
  if (mode == "slow") delay_ms = fault_.delay_ms;
}

void RouterServer::apply_fault(const FaultSpec& f) {
  if (shut_down) return;
  ++stats.faults_applied;
  fault_ = f;
  fault_timer_.cancel();
  stalled = false;
  delay_ms = 0;
  if (!acceptor_ && f.mode != "down") listen();
  if (f.mode == "none") return;
  auto run = [this](auto&& self_ref) -> void {
    act(fault_.mode);
    const bool repeats =
        fault_.every_s > 0 && (fault_.mode == "drop" || fault_.mode == "fatal" || fault_.mode == "garbage");
    if (!repeats) return;
    fault_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(fault_.every_s * 1e6)));
    fault_timer_.async_wait([self_ref](boost::system::error_code ec) {
      if (!ec) self_ref(self_ref);
    });
  };
  if (f.after_s > 0) {
    fault_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(f.after_s * 1e6)));
    fault_timer_.async_wait([run](boost::system::error_code ec) {
      if (!ec) run(run);
    });
  } else {
    run(run);
  }
}

void RouterServer::churn_tick() {
  if (shut_down) return;
  churn_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(60e6 / scenario.churn_per_min)));
  churn_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    model.churn_once(wall_ns());
    churn_tick();
  });
}

}  // namespace routeros_sim
