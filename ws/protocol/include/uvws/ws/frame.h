// Frame: the RFC 6455 section 5.2 wire format — header parsing, the checks one frame must
// pass on its own, and serialization.
//
// Parsing here is only the header; payloads are streamed by the protocol (protocol.h) so that
// a frame that arrived whole is used in place and a large one is validated as it arrives. The
// protocol reads a frame as: parse_header() -> check_frame() -> the checks that depend on the
// frames before it (continuations, sizes), which are its own. (A whole text or binary frame
// that arrived in one read takes the protocol's one-pass fast path, which makes the same checks
// and leaves every frame that fails one to this sequence.)
// Pure functions and plain structs; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/ws/error.h"

namespace uvws::ws {

// Which end of the connection an endpoint is (RFC 6455 5.1: clients mask, servers do not).
enum class Role : std::uint8_t { server, client };

// The frame opcodes of RFC 6455 5.2 (data: continuation, text, binary; control: close, ping, pong).
enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// True for close, ping and pong (RFC 6455 5.5).
constexpr bool is_control(Opcode op) noexcept {
  return (static_cast<unsigned>(op) & 0x8) != 0;
}
// True for the opcodes RFC 6455 defines (0-2, 8-10).
constexpr bool is_known_opcode(unsigned op) noexcept {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// One frame as seen on the wire. For a parsed frame `payload` is unmasked and points into the
// parser's input; for one to serialize it is the caller's data.
struct UVWS_EXPORT Frame {
  // The last frame of its message.
  bool fin = true;
  bool rsv1 = false;  // "compressed" with permessage-deflate (RFC 7692 6)
  // Reserved; set only by an extension that defines it.
  bool rsv2 = false;
  // Reserved; set only by an extension that defines it.
  bool rsv3 = false;
  // The frame's opcode.
  Opcode opcode = Opcode::text;
  // The payload is masked (client to server frames, RFC 6455 5.3).
  bool masked = false;
  std::uint32_t mask_key = 0;  // the 4 key bytes in wire order, as memcpy loads them
  std::uint64_t length = 0;    // payload length
  // The payload bytes.
  std::span<const std::uint8_t> payload;
};

// Largest header: 2 + 8 (64-bit length) + 4 (masking key).
inline constexpr std::size_t max_header_size = 14;
// RFC 6455 5.5: control frames carry at most 125 bytes.
inline constexpr std::size_t max_control_payload = 125;

// How many header bytes a frame needs, judged from its second byte (mask bit and 7-bit length).
constexpr std::size_t header_size(std::uint8_t b1) noexcept {
  const unsigned len7 = b1 & 0x7Fu;
  return 2u + (len7 == 126 ? 2u : len7 == 127 ? 8u : 0u) + ((b1 & 0x80u) ? 4u : 0u);
}

// What parse_header() found: ok, or the length error of RFC 6455 5.2.
enum class HeaderStatus : std::uint8_t { ok, bad_length, non_minimal_length };

// Parses a complete header of header_size(bytes[1]) bytes into `f` (payload left
// empty). Checks only what the header alone can show about the length (RFC 6455 5.2: the most
// significant bit of a 64-bit length must be 0); the protocol checks the rest. With
// `strict_lengths`, a length not in its shortest form is refused too (RFC 6455 5.2: "the
// minimal number of bytes MUST be used").
UVWS_EXPORT HeaderStatus parse_header(std::span<const std::uint8_t> bytes, Frame& f,
                                      bool strict_lengths) noexcept;

// The checks a received frame must pass by itself, whatever came before it (RFC 6455 5.2-5.5),
// in this order: a known opcode (Error::bad_opcode); no reserved bit that no extension
// defines (reserved_bits): RSV2 and RSV3 never, RSV1 only with `compression`
// (permessage-deflate negotiated) and only on the first frame of a data message (RFC 7692 6);
// the mask bit the sender's role calls for (RFC 6455 5.1: a `receiver` server gets only masked
// frames, else unmasked_frame; a client only unmasked ones, else masked_frame); and for a
// control frame, FIN set (control_fragmented) and at most 125 bytes (control_too_long,
// RFC 6455 5.5). Returns the first failure, or std::nullopt for a frame that passes.
UVWS_EXPORT std::optional<Error> check_frame(const Frame& f, Role receiver,
                                             bool compression) noexcept;

// Writes the header of `f` (using fin, rsv1-3, opcode, masked, mask_key and length) to `out`,
// which has room for max_header_size bytes; returns the bytes written.
UVWS_EXPORT std::size_t write_header(const Frame& f, std::uint8_t* out) noexcept;

// Appends a whole frame (header and payload, masked with f.mask_key when f.masked) to `out`.
// Precondition: f.length == f.payload.size(). One allocation at most (reserved up front), one
// pass over the payload.
UVWS_EXPORT void serialize(const Frame& f, core::Buffer& out);

// Appends an unmasked frame (what a server sends, RFC 6455 5.1) whose first byte is
// `first_byte` (FIN, RSV1-3 and opcode as on the wire) and whose payload is `payload`: the
// header in its minimal length form, then the payload, with one prepare() and one commit().
// The server's send path; serialize() of the same frame writes the same bytes.
UVWS_EXPORT void append_unmasked_frame(std::uint8_t first_byte,
                                       std::span<const std::uint8_t> payload, core::Buffer& out);

}  // namespace uvws::ws
