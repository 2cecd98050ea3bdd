#include "deflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "uvws/ws/permessage_deflate.h"

namespace uvws::bench {

namespace {

// An echo longer than this is not the chat line: refused before it is buffered further.
constexpr std::size_t max_echo_bytes = 64 * 1024;

// RFC 7692 7.2.1: the tail a sender removes after Z_SYNC_FLUSH, and 7.2.2: the receiver
// appends it again before inflating.
constexpr std::array<std::uint8_t, 4> sync_tail{0x00, 0x00, 0xff, 0xff};

// A chat line like those a chat server relays, about 200 bytes, different for each connection
// (so that no two compress to the same bytes by accident of the benchmark).
std::string chat_line(std::uint32_t index) {
  char text[320];
  std::snprintf(text, sizeof text,
                "{\"type\":\"message\",\"room\":\"general\",\"user\":\"user-%05u\","
                "\"ts\":%llu,\"text\":\"Hello everyone, the build is green again; I will merge "
                "the deflate branch after lunch unless someone objects.\",\"id\":%u}",
                index, 1764720000000ull + index, index);
  return text;
}

// Raw DEFLATE of `in` with Z_SYNC_FLUSH (RFC 7692 7.2.1), the tail removed.
std::vector<std::uint8_t> compress_message(std::string_view in, int window_bits) {
  z_stream z{};
  // A negative windowBits asks zlib for raw DEFLATE. zlib has no raw 8-bit window; the line
  // is shorter than 256 bytes, so no distance it uses can exceed an 8-bit window anyway.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -std::max(window_bits, 9), 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(in.size())) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_SYNC_FLUSH);
  const std::size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_OK || z.avail_in != 0 || n < sync_tail.size() ||
      !std::equal(sync_tail.begin(), sync_tail.end(), out.begin() + static_cast<long>(n - 4))) {
    throw std::runtime_error("deflate did not end with a sync flush");
  }
  out.resize(n - sync_tail.size());
  return out;
}

}  // namespace

bool inflate_message(std::span<const std::uint8_t> payload, std::string& out, std::size_t max_out) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return false;
  std::vector<std::uint8_t> in(payload.begin(), payload.end());
  in.insert(in.end(), sync_tail.begin(), sync_tail.end());
  z.next_in = in.data();
  z.avail_in = static_cast<uInt>(in.size());
  out.assign(max_out + 1, '\0');
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_SYNC_FLUSH);
  const std::size_t n = out.size() - z.avail_out;
  inflateEnd(&z);
  out.resize(n);
  // Z_STREAM_END: a final block (RFC 7692 7.2.3.4 allows one); whatever followed it is ignored.
  return (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && n <= max_out &&
         (rc == Z_STREAM_END || z.avail_in == 0);
}

DeflateGreeting::DeflateGreeting(std::uint32_t index) : text_(chat_line(index)) {}

bool DeflateGreeting::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool DeflateGreeting::accept_response(std::string_view value) {
  ws::DeflateOptions offered;
  offered.enabled = true;
  std::error_code ec;
  const auto params = ws::accept_server_response(value, offered, ec);
  if (ec) return fail("handshake: bad Sec-WebSocket-Extensions '" + std::string(value) + "'");
  if (!params) return fail("handshake: the server declined permessage-deflate");
  window_bits_ = params->client_max_window_bits;
  return true;
}

void DeflateGreeting::append_message(core::Buffer& out, std::uint32_t mask_key) const {
  const std::vector<std::uint8_t> payload = compress_message(text_, window_bits_);
  ws::Frame f;
  f.rsv1 = true;  // RFC 7692 6: the first frame of a compressed message
  f.opcode = ws::Opcode::text;
  f.masked = true;
  f.mask_key = mask_key;
  f.length = payload.size();
  f.payload = payload;
  ws::serialize(f, out);
}

bool DeflateGreeting::start_frame(const ws::Frame& f) {
  if (f.opcode == ws::Opcode::continuation) {
    if (!in_message_) return fail("frame: continuation without a message");
    // RFC 7692 6.1: only the first frame of a message carries RSV1.
    if (f.rsv1) return fail("frame: RSV1 on a continuation frame");
  } else {
    if (in_message_) return fail("frame: new message inside a fragmented one");
    if (f.opcode != ws::Opcode::text) return fail("echo has the wrong opcode");
    in_message_ = true;
    compressed_ = f.rsv1;
    payload_.clear();
  }
  if (payload_.size() + f.length > max_echo_bytes) return fail("echo longer than the message");
  return true;
}

bool DeflateGreeting::add_payload(std::span<const std::uint8_t> chunk) {
  payload_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  return true;
}

bool DeflateGreeting::finish_message() {
  in_message_ = false;
  std::string text;
  if (compressed_) {
    const auto bytes =
        std::span(reinterpret_cast<const std::uint8_t*>(payload_.data()), payload_.size());
    if (!inflate_message(bytes, text, text_.size())) {
      return fail("echo: bad compressed data or longer than the message");
    }
  } else {
    text = std::move(payload_);
  }
  if (text != text_) return fail("echo differs from the compressed message sent");
  return true;
}

}  // namespace uvws::bench
