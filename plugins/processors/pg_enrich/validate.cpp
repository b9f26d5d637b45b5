#include "validate.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "pg_connection.hpp"
#include "statements.hpp"

namespace routerpulse::pg_enrich {

ValidationOutcome validate_now(const Settings& s) {
  using Kind = ValidationOutcome::Kind;
  boost::asio::io_context io;
  std::optional<ValidationOutcome> out;
  std::shared_ptr<PgConnection> conn;
  PgConnection::Callbacks cb;
  cb.on_connected = [&] {
    setup_statements(conn, s, [&](SetupResult r) {
      if (r.error.empty())
        out = ValidationOutcome{Kind::ok, {}, {}};
      else
        out = ValidationOutcome{r.sql_error ? Kind::sql_error : Kind::unreachable, r.error, r.option};
      conn->close("validation finished");
    });
  };
  cb.on_lost = [&](const std::string& why) {
    if (!out) out = ValidationOutcome{Kind::unreachable, why, {}};
  };
  cb.on_notice = [](const std::string&) {};
  conn = std::make_shared<PgConnection>(boost::asio::make_strand(io), s.dsn,
                                        std::min(s.connect_timeout, s.validate_timeout), std::move(cb));
  conn->connect();
  io.run_for(s.validate_timeout);
  if (!out) out = ValidationOutcome{Kind::unreachable, "no answer within " + format_duration(s.validate_timeout), {}};
  // Drain cancellations so nothing refers to `io` or the locals afterwards.
  conn->close("validation finished");
  io.restart();
  io.run_for(std::chrono::seconds(1));
  conn.reset();
  return *out;
}

}  // namespace routerpulse::pg_enrich
