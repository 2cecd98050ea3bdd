// DeflateGreeting: what `uvws-loadgen --deflate` adds to a connection, so that the server holds
// a compressing connection's state (RFC 7692) when its memory is measured.
//
// The handshake offers permessage-deflate (offer()); the server must accept it
// (accept_response()). The connection then sends one compressed text message, a chat line of
// about 200 bytes, and reads its echo, which the server may send compressed (RSV1) or not; only
// then does it count as open. After that first message a server keeps, per connection, what
// context takeover needs in each direction (RFC 7692 7.2.3.2): that state is what the memory
// benchmark measures before and after the server releases it.
//
// Independent of uvws's own codec: the message is compressed and the echo inflated with zlib
// directly (raw DEFLATE, RFC 7692 7.2.1 and 7.2.2), with streams that live for one call, so
// that 10,000 connections of the load generator hold no zlib state.
//
// Ownership: one per connection, dropped once the echo matched. Threads: one. Errors: a
// function returning false sets the error text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

namespace uvws::bench {

class DeflateGreeting {
 public:
  explicit DeflateGreeting(std::uint32_t index);

  // The Sec-WebSocket-Extensions value offered: the client may take any window, and lets the
  // server ask it for a smaller one (RFC 7692 7.1.2.2).
  static std::string_view offer() { return "permessage-deflate; client_max_window_bits"; }

  // Checks the server's Sec-WebSocket-Extensions value (empty: the server declined, an error
  // here since the benchmark needs compression) and keeps the window we may compress with.
  bool accept_response(std::string_view value);
  // Appends the chat line as one compressed, masked text frame (RSV1 set, RFC 7692 6).
  void append_message(core::Buffer& out, std::uint32_t mask_key) const;

  // The echo, frame by frame: a frame header of the message, its payload in pieces, and the
  // end of the message, which inflates it (when RSV1 was set) and compares it with the line.
  bool start_frame(const ws::Frame& f);
  bool add_payload(std::span<const std::uint8_t> chunk);
  bool finish_message();

  const std::string& text() const { return text_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string message);

  std::string text_;
  int window_bits_ = 15;
  bool in_message_ = false;
  bool compressed_ = false;
  std::string payload_;
  std::string error_;
};

// Inflates one raw DEFLATE message payload whose 0x00 0x00 0xff 0xff tail was removed
// (RFC 7692 7.2.2) into `out`; false when the data is bad or inflates past `max_out` bytes.
bool inflate_message(std::span<const std::uint8_t> payload, std::string& out, std::size_t max_out);

}  // namespace uvws::bench
