#include "targets/resolver.hpp"

#include <boost/asio/bind_executor.hpp>

namespace routerpulse::targets {

Resolver::Resolver(Strand strand, Clock& clock, Duration interval, AddressFamily family)
    : strand_(std::move(strand)), clock_(clock), interval_(interval), family_(family), resolver_(strand_) {}

const Resolver::Entry& Resolver::lookup(const std::string& name) {
  auto [it, inserted] = cache_.try_emplace(name);
  Entry& e = it->second;
  if (inserted) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(name, ec);
    if (!ec) {
      e.address = a;
      e.tried = true;
      e.refreshed = SteadyTime::max();  // literal: never refreshed
      return e;
    }
  }
  if (e.refreshed == SteadyTime::max() || e.in_flight || stopped_) return e;
  const bool stale = !e.tried || !e.error.empty() || clock_.steady_now() - e.refreshed >= interval_;
  if (stale) start_lookup(name, e);
  return e;
}

void Resolver::start_lookup(const std::string& name, Entry& e) {
  e.in_flight = true;
  const bool first = !e.address.has_value() && !e.tried;
  if (first) ++first_pending_;
  auto flags = boost::asio::ip::resolver_base::address_configured;
  auto handler = boost::asio::bind_executor(
      strand_, [w = weak_from_this(), name, first](const boost::system::error_code& ec,
                                                   boost::asio::ip::udp::resolver::results_type results) {
        auto self = w.lock();
        if (!self || self->stopped_) return;
        if (first) --self->first_pending_;
        auto it = self->cache_.find(name);
        if (it == self->cache_.end()) return;
        Entry& entry = it->second;
        entry.in_flight = false;
        entry.tried = true;
        entry.refreshed = self->clock_.steady_now();
        if (ec) {
          entry.error = ec == boost::asio::error::host_not_found ? std::string("host not found") : ec.message();
        } else if (results.empty()) {
          entry.error = "no address";
        } else {
          entry.address = results.begin()->endpoint().address();
          entry.error.clear();
        }
        if (self->on_done) self->on_done(name, entry);
      });
  if (family_ == AddressFamily::ipv4)
    resolver_.async_resolve(boost::asio::ip::udp::v4(), name, "", flags, std::move(handler));
  else if (family_ == AddressFamily::ipv6)
    resolver_.async_resolve(boost::asio::ip::udp::v6(), name, "", flags, std::move(handler));
  else
    resolver_.async_resolve(name, "", flags, std::move(handler));
}

void Resolver::retain(const std::function<bool(const std::string&)>& keep) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (!keep(it->first) && !it->second.in_flight)
      it = cache_.erase(it);
    else
      ++it;
  }
}

void Resolver::stop() {
  stopped_ = true;
  resolver_.cancel();
}

}  // namespace routerpulse::targets
