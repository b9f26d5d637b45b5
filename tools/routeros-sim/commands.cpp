// routeros-sim — print with `?` queries and `.proplist`, monitor-traffic, listen.
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>

#include "server.hpp"

namespace routeros_sim {

namespace rr = routerpulse::routeros;

namespace {

const std::string* find(const Row& row, std::string_view key) {
  for (const auto& [k, v] : row)
    if (k == key) return &v;
  return nullptr;
}

int compare_values(const std::string& a, const std::string& b) {
  char* ea = nullptr;
  char* eb = nullptr;
  double da = std::strtod(a.c_str(), &ea), db = std::strtod(b.c_str(), &eb);
  if (!a.empty() && !b.empty() && *ea == '\0' && *eb == '\0') return da < db ? -1 : da > db ? 1 : 0;
  return a.compare(b);
}

/// Evaluates API query words on one row (MikroTik API manual, "Queries"):
/// `?name` has property, `?-name` lacks it, `?name=x` / `?=name=x` equals,
/// `?<name=x` / `?>name=x` compare; `?#` applies `|` `&` `!` `.` to the stack.
/// The row matches when every value left on the stack is true. Returns
/// nullopt (with `error`) for an unsupported word.
std::optional<bool> matches(const Row& row, const std::vector<std::string>& queries, std::string& error) {
  std::vector<bool> st;
  auto pop = [&](bool& v) {
    if (st.empty()) return false;
    v = st.back();
    st.pop_back();
    return true;
  };
  for (const auto& q : queries) {
    std::string_view w(q);
    w.remove_prefix(1);
    if (!w.empty() && w[0] == '#') {
      for (char op : w.substr(1)) {
        bool a = false, b = false;
        if (op == '!') {
          if (!pop(a)) return error = "query stack underflow", std::nullopt;
          st.push_back(!a);
        } else if (op == '|' || op == '&') {
          if (!pop(a) || !pop(b)) return error = "query stack underflow", std::nullopt;
          st.push_back(op == '|' ? (a || b) : (a && b));
        } else if (op == '.') {
          if (st.empty()) return error = "query stack underflow", std::nullopt;
          st.push_back(st.back());
        } else {
          return error = std::string("unsupported query operation ") + op, std::nullopt;
        }
      }
      continue;
    }
    char cmp = '=';
    if (!w.empty() && (w[0] == '<' || w[0] == '>' || w[0] == '-')) {
      cmp = w[0];
      w.remove_prefix(1);
    } else if (!w.empty() && w[0] == '=') {
      w.remove_prefix(1);
    }
    auto eq = w.find('=');
    std::string key(w.substr(0, eq));
    const std::string* v = find(row, key);
    if (cmp == '-') {
      st.push_back(v == nullptr);
    } else if (eq == std::string_view::npos) {
      st.push_back(v != nullptr);
    } else {
      std::string want(w.substr(eq + 1));
      int c = v ? compare_values(*v, want) : 0;
      st.push_back(v && (cmp == '=' ? *v == want : cmp == '<' ? c < 0 : c > 0));
    }
  }
  for (bool b : st)
    if (!b) return false;
  return true;
}

Row project(const Row& row, const std::vector<std::string>& proplist) {
  Row out;
  for (const auto& [k, v] : row)
    for (const auto& p : proplist)
      if (p == k) {
        out.emplace_back(k, v);
        break;
      }
  return out;
}

}  // namespace

void Connection::print(const Request& r, std::vector<Row> rows) {
  std::vector<Row> selected;
  if (!r.queries.empty()) {
    for (auto& row : rows) {
      std::string error;
      auto m = matches(row, r.queries, error);
      if (!m) return reply_trap(r, error);
      if (*m) selected.push_back(std::move(row));
    }
  } else {
    selected = std::move(rows);
  }
  if (r.get("count-only")) return reply_done(r, {{"ret", std::to_string(selected.size())}});
  for (const auto& row : selected) reply_row(r, r.has_proplist ? project(row, r.proplist) : row);
  if (selected.empty() && router_.scenario.empty_replies) reply_row(r, {}, "!empty");
  reply_done(r);
}

void Connection::monitor_traffic(const Request& r) {
  if (r.tag.empty() ? active_.count("") : active_.count(r.tag))
    return reply_trap(r, "command with this tag is already running");
  const std::string* list = r.get("interface");
  if (!list || list->empty()) return reply_trap(r, "missing value(s) of argument(s) interface");
  auto a = std::make_shared<Active>();
  a->req = r;
  a->once = r.get("once") != nullptr;
  size_t start = 0;
  while (start <= list->size()) {
    size_t c = list->find(',', start);
    std::string name = list->substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (!name.empty()) {
      if (!router_.model.find_interface(name)) return reply_trap(r, "input does not match any value of interface");
      a->interfaces.push_back(std::move(name));
    }
    if (c == std::string::npos) break;
    start = c + 1;
  }
  active_[r.tag] = a;
  if (!a->once) a->timer = std::make_unique<boost::asio::steady_timer>(router_.io);
  monitor_round(r.tag);
}

void Connection::monitor_round(const std::string& tag) {
  auto it = active_.find(tag);
  if (it == active_.end() || closed_) return;
  auto a = it->second;
  if (!router_.stalled && !closing_) {
    const Request& r = a->req;
    const std::string section = "=.section=" + std::to_string(a->round);
    const std::string tag_word = r.tag.empty() ? std::string() : ".tag=" + r.tag;
    std::string out;
    for (const auto& name : a->interfaces) {
      const Interface* i = router_.model.find_interface(name);
      if (!i) continue;  // the PPPoE session went away (churn): its rows stop
      if (r.has_proplist) {
        Row row = project(RouterModel::monitor_row(*i), r.proplist);
        if (router_.scenario.timestamps) row.emplace_back(".sim-sent-ns", std::to_string(wall_ns()));
        reply_row(r, row);
      } else {
        rr::append_word(out, "!re");
        out += i->monitor_words;
        rr::append_word(out, section);
        if (router_.scenario.timestamps) rr::append_word(out, "=.sim-sent-ns=" + std::to_string(wall_ns()));
        if (!tag_word.empty()) rr::append_word(out, tag_word);
        out.push_back('\0');
        ++router_.stats.sentences_sent;
      }
      ++router_.stats.monitor_samples_sent;
    }
    if (!out.empty()) {
      --router_.stats.sentences_sent;  // send() counts one
      send(std::move(out));
    }
  }
  ++a->round;
  if (a->once) {
    active_.erase(tag);
    reply_done(a->req);
    return;
  }
  // send() may have closed the connection (queue over the cap); close()
  // cancelled the timer already, so re-arming it would keep a handler (and the
  // connection) alive that nothing cancels any more.
  if (closed_) return;
  // Fixed cadence: the next round is due one interval after the previous one
  // was due, however long sending took.
  const auto interval = std::chrono::microseconds(static_cast<int64_t>(router_.scenario.interval_s * 1e6));
  if (a->round == 1)
    a->timer->expires_after(interval);
  else
    a->timer->expires_at(a->timer->expiry() + interval);
  a->timer->async_wait([self = shared_from_this(), tag](boost::system::error_code ec) {
    if (!ec) self->monitor_round(tag);
  });
}

void Connection::ppp_listen(const Request& r) {
  if (active_.count(r.tag)) return reply_trap(r, "command with this tag is already running");
  auto a = std::make_shared<Active>();
  a->req = r;
  a->listen = true;
  std::weak_ptr<Connection> weak = shared_from_this();
  a->listener = router_.model.add_listener([weak, tag = r.tag](const Row& row) {
    auto self = weak.lock();
    if (!self || self->closed_ || self->router_.stalled) return;
    auto it = self->active_.find(tag);
    if (it == self->active_.end()) return;
    const Request& req = it->second->req;
    self->reply_row(req, req.has_proplist && !find(row, ".dead") ? project(row, req.proplist) : row);
    ++self->router_.stats.listen_events_sent;
  });
  active_[r.tag] = a;
}

}  // namespace routeros_sim
