// Benchmark: what the webhook output sustains through write() — one batch in
// flight, the next written from the previous one's completion, as the
// engine's output runner does — against a minimal HTTP/1.1 keep-alive
// receiver in this process (Boost.Beast, synchronous, one thread per
// connection, answers 200 with an empty body). Receiver and agent share the
// machine's cores, so these are loopback numbers for the whole exchange.
// Prints a Markdown table; records nothing by itself.
//
// Build: cmake --build <build> --target bench_webhook
// Run:   bench/webhook/run.sh <build>   (env: RP_BENCH_SECONDS, default 5)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "harness.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::atomic<uint64_t> g_requests{0}, g_bytes{0};

class Receiver {
 public:
  Receiver() : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    std::thread([this] {
      for (;;) {
        tcp::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec) return;
        std::thread([s = std::move(s)]() mutable { serve(std::move(s)); }).detach();
      }
    }).detach();
  }
  int port() const { return port_; }

 private:
  static void serve(tcp::socket s) {
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(s, buf, req, ec);
      if (ec) return;
      g_requests.fetch_add(1, std::memory_order_relaxed);
      g_bytes.fetch_add(req.body().size(), std::memory_order_relaxed);
      http::response<http::empty_body> res{http::status::ok, 11};
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
};

MetricBatch batch_of(size_t n, int64_t base) {
  MetricBatch b;
  b.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Metric m("icmp", base + static_cast<int64_t>(i));
    m.set_tag("router", "pop1-core").set_tag("target", "10.0." + std::to_string(i % 250) + ".1");
    m.set_field("rtt_seconds", 0.0123).set_field("loss_ratio", 0.0).set_field("sent", int64_t{5});
    b.push_back(std::move(m));
  }
  return b;
}

void run(const char* label, const std::string& yaml, size_t batch, double seconds, int port) {
  Harness h;
  auto c = h.create(PluginKind::output, "webhook", "url: http://127.0.0.1:" + std::to_string(port) + "/hook\n" + yaml);
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  auto& out = dynamic_cast<Output&>(*c);
  const uint64_t r0 = g_requests.load(), b0 = g_bytes.load();
  uint64_t metrics = 0, failed = 0;
  int64_t base = 1700000000000000000;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    MetricBatch b = batch_of(batch, base);
    base += static_cast<int64_t>(batch);
    auto r = h.write(out, ctx, b, std::chrono::seconds(30));
    if (r && r->ok)
      metrics += batch;
    else
      ++failed;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const uint64_t reqs = g_requests.load() - r0, bytes = g_bytes.load() - b0;
  std::printf("| %s | %zu | %.0f | %.0f | %.1f | %llu |\n", label, batch, reqs / elapsed, metrics / elapsed,
              bytes / elapsed / 1e6, static_cast<unsigned long long>(failed));
  h.stop(*c, ctx);
}

}  // namespace

int main() {
  const char* s = std::getenv("RP_BENCH_SECONDS");
  const double seconds = s ? std::atof(s) : 5.0;
  Receiver rx;
  const std::string sign = "signing: {standard_webhooks_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}\n";
  std::printf(
      "| case | batch_size | requests/s | metrics/s | body MB/s | failed writes |\n|---|---|---|---|---|---|\n");
  run("json, batch", "", 1000, seconds, rx.port());
  run("json, batch, signed", sign, 1000, seconds, rx.port());
  run("json, batch, signed, gzip", sign + "gzip: true\n", 1000, seconds, rx.port());
  run("json, batch (small batches)", "", 10, seconds, rx.port());
  run("json, batch: false, 4 connections", "batch: false\n", 100, seconds, rx.port());
  run("json, batch: false, 1 connection, signed", sign + "batch: false\nmax_connections: 1\n", 100, seconds, rx.port());
  run("template (slack preset), batch", "format: template\npreset: slack\n", 100, seconds, rx.port());
  return 0;
}
