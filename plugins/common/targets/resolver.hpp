// plugins/common — asynchronous host-name resolution for target lists, with a
// cache refreshed every `interval`.
//
// Lookups use Asio's resolver (getaddrinfo(3) on Asio's internal resolver
// thread), so the caller's strand never blocks. Literal IPv4/IPv6 addresses
// never go through it. A name that fails to resolve keeps its previous
// address, if it had one, and is looked up again at the next lookup() call
// (the caller's next round); one that never resolved reports the error.
//
// Threading: every method on `strand`; callbacks run there. Keep the object
// in a std::shared_ptr (pending lookups hold it weakly).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "routerpulse/clock.hpp"

namespace routerpulse::targets {

/// Which addresses a name may resolve to.
enum class AddressFamily { any, ipv4, ipv6 };

class Resolver : public std::enable_shared_from_this<Resolver> {
 public:
  struct Entry {
    std::optional<boost::asio::ip::address> address;  ///< the address to use (first suitable answer)
    std::string error;                                ///< the last failure, empty after a success
    bool in_flight = false;
    bool tried = false;  ///< a lookup finished at least once
    SteadyTime refreshed{};
  };

  Resolver(Strand strand, Clock& clock, Duration interval, AddressFamily family = AddressFamily::any);

  /// The entry for `name`, starting a lookup when the name is new, stale
  /// (older than `interval`) or failed last time. Literal addresses resolve
  /// at once.
  const Entry& lookup(const std::string& name);
  /// Lookups started and not finished for names that never resolved yet.
  size_t first_lookups_pending() const noexcept { return first_pending_; }
  /// Called on the strand whenever a lookup finishes.
  std::function<void(const std::string& name, const Entry&)> on_done;
  /// Drops cached names not in `keep` (call when the target list changes).
  void retain(const std::function<bool(const std::string&)>& keep);
  /// Cancels lookups in flight; no on_done after this.
  void stop();

 private:
  void start_lookup(const std::string& name, Entry& e);

  Strand strand_;
  Clock& clock_;
  Duration interval_;
  AddressFamily family_;
  boost::asio::ip::udp::resolver resolver_;
  std::unordered_map<std::string, Entry> cache_;
  size_t first_pending_ = 0;
  bool stopped_ = false;
};

}  // namespace routerpulse::targets
