#include "statements.hpp"

namespace routerpulse::pg_enrich {

std::string one_line(const std::string& msg) {
  // libpq messages are multi-line: "ERROR: …", "LINE 1: …", a caret line
  // pointing into it, "HINT: …". Join them; the caret means nothing on one line.
  std::string out;
  size_t pos = 0;
  while (pos <= msg.size()) {
    size_t nl = msg.find('\n', pos);
    std::string line = msg.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? msg.size() + 1 : nl + 1;
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line.substr(b) == "^") continue;
    if (!out.empty()) out += "; ";
    out += line.substr(b);
  }
  return out;
}

namespace {

/// One run of prepare → describe (→ prepare → describe for the preload).
struct Setup : std::enable_shared_from_this<Setup> {
  std::shared_ptr<PgConnection> conn;
  std::string query, preload_query;
  bool has_preload = false;
  std::function<void(SetupResult)> done;
  SetupResult result;

  void finish(std::string error, bool sql, const std::string& option) {
    result.error = std::move(error);
    result.sql_error = sql;
    result.option = sql ? option : std::string();
    auto d = std::move(done);
    d(std::move(result));
  }

  bool check(const PgResult& r, const std::string& option, const char* what) {
    if (r.ok()) return true;
    finish((r.connection_error ? std::string("connection lost while preparing `") + option + "`: "
                               : "PostgreSQL rejected `" + option + "` (" + what + "): ") +
               one_line(r.error),
           !r.connection_error, option);
    return false;
  }

  void send_or_fail(bool sent, const std::string& option) {
    if (!sent) finish("connection lost while preparing `" + option + "`", false, option);
  }

  void step(const char* name, const std::string& sql, int nparams, const std::string& option,
            std::function<void(const PGresult*)> then) {
    auto self = shared_from_this();
    send_or_fail(
        conn->prepare(name, sql, nparams,
                      [self, name, option, nparams, then](PgResult r) {
                        if (!self->check(r, option, "prepare")) return;
                        self->send_or_fail(
                            self->conn->describe_prepared(
                                name,
                                [self, option, nparams, then](PgResult d) {
                                  if (!self->check(d, option, "describe")) return;
                                  int n = PQnparams(d.res.get());
                                  if (n != nparams) {
                                    self->finish(
                                        "`" + option + "` must use " +
                                            (nparams == 1 ? std::string("exactly one parameter ($1) for the key")
                                                          : std::string("no parameters")) +
                                            ", it uses " + std::to_string(n),
                                        true, option);
                                    return;
                                  }
                                  then(d.res.get());
                                }),
                            option);
                      }),
        option);
  }

  bool bind(RowMapper& m, const PGresult* shape, const std::string& option) {
    auto missing = m.bind(shape);
    if (missing.empty()) return true;
    std::string names;
    for (const auto& c : missing) names += (names.empty() ? "" : ", ") + c;
    finish("`" + option + "` does not return column" + (missing.size() > 1 ? "s " : " ") + names +
               " (it returns: " + column_list(shape) + ")",
           true, option);
    return false;
  }

  void run(const std::vector<ColumnSpec>& specs) {
    auto self = shared_from_this();
    result.lookup = RowMapper(specs);
    step(kLookupStatement, query, 1, "query", [self, specs](const PGresult* shape) {
      if (!self->bind(self->result.lookup, shape, "query")) return;
      if (!self->has_preload) {
        self->finish({}, false, {});
        return;
      }
      self->step(kPreloadStatement, self->preload_query, 0, "preload_query", [self, specs](const PGresult* pshape) {
        if (PQnfields(pshape) < 1) {
          self->finish("`preload_query` must return the key as its first column", true, "preload_query");
          return;
        }
        self->result.preload = RowMapper(specs);
        if (!self->bind(*self->result.preload, pshape, "preload_query")) return;
        self->finish({}, false, {});
      });
    });
  }
};

}  // namespace

void setup_statements(std::shared_ptr<PgConnection> conn, const Settings& s, std::function<void(SetupResult)> done) {
  auto st = std::make_shared<Setup>();
  st->conn = std::move(conn);
  st->query = s.query;
  st->has_preload = s.preload_query.has_value();
  st->preload_query = s.preload_query.value_or("");
  st->done = std::move(done);
  st->run(s.columns);
}

}  // namespace routerpulse::pg_enrich
