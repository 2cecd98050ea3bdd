// The client side of the WebSocket wire, written here rather than taken from uvws so that the
// soak test does not check the server with the server's own code: masked frames out
// (RFC 6455 5.2, 5.3), unmasked frames in, parsed incrementally, and the opening handshake
// (RFC 6455 4.1: the request, and the 101 answer with its Sec-WebSocket-Accept).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace soak {

// RFC 6455 5.2 opcodes.
enum Opcode : std::uint8_t {
  op_continuation = 0x0,
  op_text = 0x1,
  op_binary = 0x2,
  op_close = 0x8,
  op_ping = 0x9,
  op_pong = 0xA,
};

inline bool is_control(std::uint8_t opcode) {
  return (opcode & 0x8) != 0;
}

// Appends one masked frame (a client always masks, RFC 6455 5.3) to `out`.
void append_frame(std::string& out, std::uint8_t opcode, bool fin, std::string_view payload,
                  std::uint32_t mask_key);
// A close frame with `code` (RFC 6455 5.5.1), masked.
void append_close(std::string& out, unsigned code, std::uint32_t mask_key);

// Parses what a server sends, frame by frame, and hands each frame's header, payload chunks and
// end to a Sink. Any Sink call returning false stops the parse (feed returns false).
class FrameReader {
 public:
  struct Header {
    bool fin = false;
    std::uint8_t rsv = 0;  // the three reserved bits, RFC 6455 5.2
    std::uint8_t opcode = 0;
    bool masked = false;
    std::uint64_t length = 0;
  };
  class Sink {
   public:
    virtual bool on_header(const Header& h) = 0;
    virtual bool on_payload(std::span<const std::uint8_t> chunk) = 0;
    virtual bool on_end() = 0;

   protected:
    ~Sink() = default;
  };

  bool feed(std::span<const std::uint8_t> bytes, Sink& sink);

 private:
  std::uint8_t head_[14] = {};
  std::size_t head_len_ = 0;
  bool in_payload_ = false;
  std::uint64_t left_ = 0;
  std::uint32_t mask_ = 0;
  std::uint64_t offset_ = 0;
  bool masked_ = false;
};

// One client opening handshake: the request to send and the check of the answer.
class Handshake {
 public:
  enum class Status { incomplete, accepted, refused, invalid };

  // `key_seed` picks the Sec-WebSocket-Key (any 16 bytes will do, RFC 6455 4.1 asks for random).
  Handshake(std::string_view host, std::uint16_t port, std::uint64_t key_seed);

  const std::string& request() const { return request_; }
  // Adds bytes of the answer. accepted: `rest` holds the bytes after the head (the first
  // frames); refused: the status line is in detail(); invalid: detail() says why.
  Status feed(std::span<const std::uint8_t> bytes, std::string& rest);
  const std::string& detail() const { return detail_; }

 private:
  std::string request_;
  std::string accept_;
  std::string answer_;
  std::string detail_;
};

}  // namespace soak
