// hiredis ↔ Boost.Asio: drives a hiredis async context from an Asio strand.
//
// hiredis' async API is event-loop agnostic: it asks the loop to watch its
// socket through five hooks in redisAsyncContext::ev (addRead, delRead,
// addWrite, delWrite, cleanup; see hiredis/async.h and the adapters shipped
// with hiredis). This adapter implements them with
// boost::asio::posix::stream_descriptor::async_wait(wait_read / wait_write) on
// the context's file descriptor and calls redisAsyncHandleRead/Write when the
// socket is ready, on the given strand.
//
// Ownership: the adapter never owns the file descriptor (hiredis closes it);
// it releases it from Asio in the cleanup hook, which hiredis calls just
// before it frees the context. The adapter's own state is reference counted
// and lives until the last pending wait has completed, so freeing the
// context at any time (from a reply callback too) is safe.
//
// Threading: attach() and every hiredis call on the context must run on
// `strand`; the hooks then run there too. Nothing here blocks.
//
// Self-contained (Boost.Asio + hiredis only) so it can move to agent/ later.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

struct redisAsyncContext;

namespace routerpulse::redis {

class HiredisAsio {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// Installs the Asio hooks on `ac` (a context fresh from redisAsyncConnect*,
  /// without ac->err) and starts waiting for the socket to become writable, so
  /// the connect callback fires even before the first command (hiredis 0.14
  /// only arms the write hook when a command is queued).
  /// Throws std::logic_error when `ac` already has event hooks attached, and
  /// boost::system::system_error if Asio cannot register the descriptor.
  static void attach(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand);
};

}  // namespace routerpulse::redis
