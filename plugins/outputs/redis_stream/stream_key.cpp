#include "stream_key.hpp"

namespace routerpulse::redis {

StreamKeyTemplate::StreamKeyTemplate(std::string_view text) : text_(text) {
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) parts_.push_back({Kind::literal, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal.push_back('}');
        ++i;
        continue;
      }
      throw StreamKeyError("column " + std::to_string(i + 1) + ": stray '}' (write '}}' for a literal brace)");
    }
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos)
      throw StreamKeyError("column " + std::to_string(i + 1) + ": unclosed '{' (expected {name} or {<tag>})");
    std::string_view inner = text.substr(i + 1, close - i - 1);
    if (inner.empty() || inner.find('{') != std::string_view::npos)
      throw StreamKeyError("column " + std::to_string(i + 1) +
                           ": empty or nested placeholder (expected {name} or {<tag>})");
    flush();
    if (inner == "name")
      parts_.push_back({Kind::name, {}});
    else if (inner.substr(0, 4) == "tag:" && inner.size() > 4)
      parts_.push_back({Kind::tag, std::string(inner.substr(4))});
    else
      parts_.push_back({Kind::tag, std::string(inner)});
    i = close;
  }
  flush();
  if (parts_.empty()) throw StreamKeyError("the stream key must not be empty");
}

bool StreamKeyTemplate::render(const Metric& m, std::string& out, std::string_view missing) const {
  out.clear();
  bool complete = true;
  for (const auto& p : parts_) {
    switch (p.kind) {
      case Kind::literal: out += p.text; break;
      case Kind::name: out += m.name(); break;
      case Kind::tag:
        if (const std::string* v = m.tag(p.text)) {
          out += *v;
        } else {
          out += missing;
          complete = false;
        }
        break;
    }
  }
  return complete;
}

}  // namespace routerpulse::redis
