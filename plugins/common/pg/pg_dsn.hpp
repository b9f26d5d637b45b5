// plugins/common — reading the `dsn` option: a libpq connection string.
//
// Both libpq forms are accepted, as documented in PostgreSQL 15 §34.1.1
// "Connection Strings": keyword/value (`host=10.0.0.5 port=5432 dbname=billing
// user=routerpulse`) and URI (`postgresql://user:secret@10.0.0.5:5432/billing`).
// Parsing is libpq's own (PQconninfoParse), so every keyword libpq knows works.
// Threading: plain value types and pure functions; safe anywhere.
#pragma once

#include <stdexcept>
#include <string>

namespace routerpulse::pg {

/// The parts of a DSN the plugin needs for logging and name resolution.
struct DsnInfo {
  std::string host;      ///< `host` keyword (name, IP, socket directory or a comma list); may be empty
  std::string hostaddr;  ///< `hostaddr` keyword (numeric address); may be empty
  std::string port;      ///< `port`, empty = libpq default (5432)
  std::string dbname;    ///< `dbname`, empty = libpq default (the user name)
  std::string user;      ///< `user`, empty = libpq default
  bool has_password = false;

  /// `host=… port=… dbname=… user=…` without the password, for logs and errors.
  std::string display() const;
  /// True when connecting would make libpq resolve a host name synchronously
  /// (libpq's PQconnectStart calls getaddrinfo itself, PostgreSQL 15 §34.1):
  /// a single TCP host name that is not a numeric address and no `hostaddr`.
  /// The connection then resolves it asynchronously first and passes `hostaddr`.
  bool needs_resolution() const;
};

/// A DSN libpq refuses; what() is libpq's explanation (never the password).
class DsnError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Parses `dsn` with PQconninfoParse. Throws DsnError.
DsnInfo parse_dsn(const std::string& dsn);

/// A quoted SQL identifier (`"name"`, inner quotes doubled), for LISTEN.
std::string quote_identifier(const std::string& name);

}  // namespace routerpulse::pg
