#include "hiredis_asio.hpp"

#include <memory>
#include <stdexcept>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>

namespace routerpulse::redis {
namespace {

using boost::asio::posix::stream_descriptor;

// One attached context. Kept alive by `self` while attached and by every
// pending wait handler afterwards.
struct Watch : std::enable_shared_from_this<Watch> {
  Watch(redisAsyncContext* c, boost::asio::io_context& io, HiredisAsio::Strand s)
      : ac(c), sd(io, c->c.fd), strand(std::move(s)) {}

  redisAsyncContext* ac;  // null after cleanup
  stream_descriptor sd;
  HiredisAsio::Strand strand;
  std::shared_ptr<Watch> self;
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;

  void arm(stream_descriptor::wait_type type) {
    bool reading = type == stream_descriptor::wait_read;
    bool& armed = reading ? read_armed : write_armed;
    if (armed || !ac) return;
    armed = true;
    sd.async_wait(type, boost::asio::bind_executor(
                            strand, [w = shared_from_this(), reading](const boost::system::error_code& ec) {
                              (reading ? w->read_armed : w->write_armed) = false;
                              if (ec || !w->ac) return;
                              bool& want = reading ? w->want_read : w->want_write;
                              if (!want) return;
                              // The context may be freed inside these calls; cleanup() clears w->ac.
                              if (reading)
                                redisAsyncHandleRead(w->ac);
                              else
                                redisAsyncHandleWrite(w->ac);
                              if (w->ac && want)
                                w->arm(reading ? stream_descriptor::wait_read : stream_descriptor::wait_write);
                            }));
  }

  static Watch* of(void* p) { return static_cast<Watch*>(p); }
  static void add_read(void* p) {
    of(p)->want_read = true;
    of(p)->arm(stream_descriptor::wait_read);
  }
  static void del_read(void* p) { of(p)->want_read = false; }
  static void add_write(void* p) {
    of(p)->want_write = true;
    of(p)->arm(stream_descriptor::wait_write);
  }
  static void del_write(void* p) { of(p)->want_write = false; }
  static void cleanup(void* p) {
    Watch* w = of(p);
    w->ac->ev.data = nullptr;
    w->ac = nullptr;
    w->want_read = w->want_write = false;
    // Cancels the pending waits (they complete with operation_aborted) and
    // hands the descriptor back without closing it: hiredis closes it.
    w->sd.release();
    auto keep = std::move(w->self);  // may destroy *w at scope exit
  }
};

}  // namespace

void HiredisAsio::attach(redisAsyncContext* ac, boost::asio::io_context& io, Strand strand) {
  if (ac->ev.data || ac->ev.addRead) throw std::logic_error("hiredis context already has an event loop attached");
  auto w = std::make_shared<Watch>(ac, io, std::move(strand));
  w->self = w;
  ac->ev.data = w.get();
  ac->ev.addRead = &Watch::add_read;
  ac->ev.delRead = &Watch::del_read;
  ac->ev.addWrite = &Watch::add_write;
  ac->ev.delWrite = &Watch::del_write;
  ac->ev.cleanup = &Watch::cleanup;
  Watch::add_write(w.get());
}

}  // namespace routerpulse::redis
