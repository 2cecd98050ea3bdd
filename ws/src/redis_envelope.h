// The envelope a uvws process puts around a message it publishes to Redis. Private to ws/src;
// the format is public, in docs/REDIS.md, so that other programs can read and write it.
//
//   offset  size  field
//   0       4     magic: 0xFF 'u' 'v' 0x01 (0x01: the format's version)
//   4       8     origin: the publishing process's random 64-bit id, big-endian
//   12      8     sequence: per origin and topic, from 1, big-endian
//   20      1     opcode: 1 text, 2 binary (RFC 6455 5.2)
//   21      ...   payload: the message, unchanged
//
// 0xFF never occurs in UTF-8 (RFC 3629 3), so no text can be mistaken for an envelope: a
// Redis message that does not start with the magic (a backend's plain `PUBLISH channel hello`)
// is delivered as it is, as a text message when it is valid UTF-8 and as a binary one
// otherwise (a text frame must be UTF-8, RFC 6455 8.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "uvws/ws/frame.h"

namespace uvws::detail {

inline constexpr std::size_t envelope_header_size = 21;

struct Envelope {
  bool raw = true;  // not an envelope: origin and sequence are 0
  std::uint64_t origin = 0;
  std::uint64_t sequence = 0;
  ws::Opcode opcode = ws::Opcode::text;
  std::span<const std::uint8_t> payload;
};

// Writes the 21-byte header to `out`.
void write_envelope_header(std::uint8_t* out, std::uint64_t origin, std::uint64_t sequence,
                           ws::Opcode opcode);

// Reads a message received from Redis (never fails: anything else is a raw message).
Envelope read_envelope(std::span<const std::uint8_t> message);

// The payload and opcode of a whole unmasked frame made by make_frame() (topics.h).
Envelope frame_contents(std::span<const std::uint8_t> frame);

}  // namespace uvws::detail
