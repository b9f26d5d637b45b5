#include "pg/pg_dsn.hpp"

#include <memory>

#include <arpa/inet.h>
#include <libpq-fe.h>

namespace routerpulse::pg {

namespace {

bool is_numeric_address(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

std::string DsnInfo::display() const {
  std::string out;
  auto add = [&out](const char* k, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += ' ';
    out += k;
    out += '=';
    out += v;
  };
  add("host", host);
  add("hostaddr", hostaddr);
  add("port", port);
  add("dbname", dbname);
  add("user", user);
  return out.empty() ? std::string("(libpq defaults)") : out;
}

bool DsnInfo::needs_resolution() const {
  if (host.empty() || !hostaddr.empty()) return false;
  if (host.front() == '/' || host.front() == '@') return false;  // unix socket directory / abstract socket
  if (host.find(',') != std::string::npos) return false;         // multi-host lists: libpq resolves
  return !is_numeric_address(host);
}

DsnInfo parse_dsn(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw DsnError("invalid libpq connection string: " + why);
  }
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> guard(opts, PQconninfoFree);
  DsnInfo info;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string k = o->keyword;
    if (k == "host")
      info.host = o->val;
    else if (k == "hostaddr")
      info.hostaddr = o->val;
    else if (k == "port")
      info.port = o->val;
    else if (k == "dbname")
      info.dbname = o->val;
    else if (k == "user")
      info.user = o->val;
    else if (k == "password")
      info.has_password = *o->val != '\0';
  }
  return info;
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace routerpulse::pg
