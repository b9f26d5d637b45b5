#include "http/gzip.hpp"

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>

namespace routerpulse::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

/// The q value of one `coding;q=0.5` element (1 when absent).
double qvalue(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string v(p.substr(2));
      return std::strtod(v.c_str(), nullptr);
    }
  }
  return 1;
}

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  double gzip_q = -1, star_q = -1;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto elem = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto semi = elem.find(';');
    auto coding = trim(elem.substr(0, semi));
    auto params = semi == std::string_view::npos ? std::string_view{} : elem.substr(semi + 1);
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip_q = qvalue(params);
    else if (coding == "*")
      star_q = qvalue(params);
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

}  // namespace routerpulse::http

namespace routerpulse {

std::string gzip_compress(std::string_view data, int level) {
  namespace zlib = boost::beast::zlib;
  zlib::deflate_stream ds;
  ds.reset(level, 15, 8, zlib::Strategy::normal);
  // RFC 1952 §2.3: ID1 ID2 CM=8 (deflate) FLG=0 MTIME=0 XFL (2 = best, 4 = fastest) OS=3 (Unix)
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  out[8] = level <= 1 ? '\x04' : level >= 9 ? '\x02' : '\x00';
  const size_t header = out.size();
  out.resize(header + ds.upper_bound(data.size()) + 8);
  zlib::z_params zs;
  zs.next_in = data.data();
  zs.avail_in = data.size();
  zs.next_out = out.data() + header;
  zs.avail_out = out.size() - header;
  boost::system::error_code ec;
  ds.write(zs, zlib::Flush::finish, ec);
  if (ec != zlib::error::end_of_stream) throw std::runtime_error("gzip: deflate failed: " + ec.message());
  out.resize(header + zs.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  http::put_le32(out, crc.checksum());
  http::put_le32(out, static_cast<uint32_t>(data.size()));  // ISIZE: size modulo 2^32
  return out;
}

}  // namespace routerpulse
