#include "gzip.hpp"

#include <stdexcept>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>

namespace routerpulse::webhook {

std::string gzip_compress(std::string_view data) {
  namespace zlib = boost::beast::zlib;
  std::string out;
  // Header: magic, CM=deflate, no flags, mtime 0, XFL 0, OS 255 (unknown).
  out.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  zlib::deflate_stream ds;
  ds.reset(6, 15, 8, zlib::Strategy::normal);  // Beast writes raw deflate; window 2^15
  const size_t header = out.size();
  out.resize(header + ds.upper_bound(data.size()) + 16);
  zlib::z_params zs;
  zs.next_in = data.data();
  zs.avail_in = data.size();
  zs.next_out = out.data() + header;
  zs.avail_out = out.size() - header;
  boost::system::error_code ec;
  ds.write(zs, zlib::Flush::finish, ec);
  if (ec && ec != zlib::error::end_of_stream) throw std::runtime_error("gzip: " + ec.message());
  out.resize(header + zs.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  const uint32_t sum = crc.checksum(), size = static_cast<uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  return out;
}

}  // namespace routerpulse::webhook
