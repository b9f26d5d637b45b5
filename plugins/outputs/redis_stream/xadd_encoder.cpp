#include "xadd_encoder.hpp"

#include <algorithm>
#include <chrono>

#include "routerpulse/format.hpp"

namespace routerpulse::redis {

void append_field_text(std::string& out, const FieldValue& v) {
  switch (v.index()) {
    case 0: append_number(out, std::get<int64_t>(v)); break;
    case 1: append_number(out, std::get<uint64_t>(v)); break;
    // Shortest round-trip text; NaN/+Inf/-Inf spelled out as in Prometheus
    // text exposition (format.hpp's policy for Redis stream entry fields).
    case 2: append_number(out, std::get<double>(v), NonFinite::prometheus); break;
    case 3: out += std::get<bool>(v) ? "true" : "false"; break;
    case 4: out += std::get<std::string>(v); break;
  }
}

XaddEncoder::XaddEncoder(const RedisStreamConfig& cfg)
    : format_(cfg.format), tag_prefix_(cfg.tag_prefix), field_prefix_(cfg.field_prefix) {
  trim_op_ = cfg.approximate_trim ? "~" : "=";
  if (cfg.minid_age) {
    trim_kind_ = "MINID";
    minid_age_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(*cfg.minid_age).count();
  } else if (cfg.maxlen > 0) {
    trim_kind_ = "MAXLEN";
    trim_threshold_.clear();
    append_number(trim_threshold_, cfg.maxlen);
  }
}

void XaddEncoder::begin_batch(int64_t now_ms) {
  if (trim_kind_ != "MINID") return;
  trim_threshold_.clear();
  append_number(trim_threshold_, std::max<int64_t>(0, now_ms - minid_age_ms_));
}

void XaddEncoder::array(size_t n) {
  out_ += '*';
  append_number(out_, static_cast<uint64_t>(n));
  out_ += "\r\n";
}

void XaddEncoder::bulk(std::string_view s) {
  out_ += '$';
  append_number(out_, static_cast<uint64_t>(s.size()));
  out_ += "\r\n";
  out_ += s;
  out_ += "\r\n";
}

void XaddEncoder::bulk2(std::string_view a, std::string_view b) {
  out_ += '$';
  append_number(out_, static_cast<uint64_t>(a.size() + b.size()));
  out_ += "\r\n";
  out_ += a;
  out_ += b;
  out_ += "\r\n";
}

void XaddEncoder::encode(const Metric& m, std::string_view key) {
  out_.clear();
  size_t pairs = format_ == EntryFormat::json ? 1 : 2 + m.tags().size() + m.fields().size();
  array(3 + (trim_kind_.empty() ? 0 : 3) + 2 * pairs);
  bulk("XADD");
  bulk(key);
  if (!trim_kind_.empty()) {
    bulk(trim_kind_);
    bulk(trim_op_);
    bulk(trim_threshold_);
  }
  bulk("*");
  if (format_ == EntryFormat::json) {
    scratch_.clear();
    append_json(scratch_, m);
    bulk("data");
    bulk(scratch_);
    return;
  }
  bulk("name");
  bulk(m.name());
  scratch_.clear();
  append_number(scratch_, m.time());
  bulk("time");
  bulk(scratch_);
  for (const auto& t : m.tags()) {
    bulk2(tag_prefix_, t.key);
    bulk(t.value);
  }
  for (const auto& f : m.fields()) {
    bulk2(field_prefix_, f.key);
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      bulk(*s);
    } else {
      scratch_.clear();
      append_field_text(scratch_, f.value);
      bulk(scratch_);
    }
  }
}

}  // namespace routerpulse::redis
