#include "uvws/ws/frame.h"

#include <cstring>

#include "uvws/ws/mask.h"

namespace uvws::ws {

HeaderStatus parse_header(std::span<const std::uint8_t> b, Frame& f, bool strict_lengths) noexcept {
  const std::uint8_t b0 = b[0];
  const std::uint8_t b1 = b[1];
  f.fin = (b0 & 0x80) != 0;
  f.rsv1 = (b0 & 0x40) != 0;
  f.rsv2 = (b0 & 0x20) != 0;
  f.rsv3 = (b0 & 0x10) != 0;
  f.opcode = static_cast<Opcode>(b0 & 0x0F);
  f.masked = (b1 & 0x80) != 0;
  std::size_t pos = 2;
  std::uint64_t len = b1 & 0x7Fu;
  if (len == 126) {
    len = (std::uint64_t{b[2]} << 8) | b[3];
    pos = 4;
    if (strict_lengths && len < 126) return HeaderStatus::non_minimal_length;
  } else if (len == 127) {
    len = 0;
    for (std::size_t i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
    pos = 10;
    // RFC 6455 5.2: "the most significant bit MUST be 0".
    if (len >> 63) return HeaderStatus::bad_length;
    if (strict_lengths && len <= 0xFFFF) return HeaderStatus::non_minimal_length;
  }
  f.length = len;
  f.mask_key = 0;
  if (f.masked) std::memcpy(&f.mask_key, b.data() + pos, 4);
  f.payload = {};
  return HeaderStatus::ok;
}

std::optional<Error> check_frame(const Frame& f, Role receiver, bool compression) noexcept {
  if (!is_known_opcode(static_cast<unsigned>(f.opcode))) return Error::bad_opcode;
  const bool control = is_control(f.opcode);
  // RFC 6455 5.2: reserved bits must be 0 unless an extension defines them; permessage-deflate
  // defines RSV1 on the first frame of a data message only (RFC 7692 6).
  if (f.rsv2 || f.rsv3) return Error::reserved_bits;
  if (f.rsv1 && (control || f.opcode == Opcode::continuation || !compression)) {
    return Error::reserved_bits;
  }
  // RFC 6455 5.1: clients mask every frame, servers none.
  if (receiver == Role::server && !f.masked) return Error::unmasked_frame;
  if (receiver == Role::client && f.masked) return Error::masked_frame;
  if (control) {
    // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!f.fin) return Error::control_fragmented;
    if (f.length > max_control_payload) return Error::control_too_long;
  }
  return std::nullopt;
}

namespace {

// Writes the second header byte (`mask_bit` | the 7-bit length or its 126/127 marker) and the
// extended length in its shortest form (RFC 6455 5.2) at out[1...]; returns the header bytes
// written so far, out[0] included.
std::size_t write_length(std::uint8_t mask_bit, std::uint64_t length, std::uint8_t* out) noexcept {
  if (length < 126) {
    out[1] = static_cast<std::uint8_t>(mask_bit | length);
    return 2;
  }
  if (length <= 0xFFFF) {
    out[1] = static_cast<std::uint8_t>(mask_bit | 126);
    out[2] = static_cast<std::uint8_t>(length >> 8);
    out[3] = static_cast<std::uint8_t>(length);
    return 4;
  }
  out[1] = static_cast<std::uint8_t>(mask_bit | 127);
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
  }
  return 10;
}

}  // namespace

std::size_t write_header(const Frame& f, std::uint8_t* out) noexcept {
  out[0] =
      static_cast<std::uint8_t>((f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | (f.rsv2 ? 0x20 : 0) |
                                (f.rsv3 ? 0x10 : 0) | static_cast<unsigned>(f.opcode));
  std::size_t pos = write_length(f.masked ? 0x80 : 0, f.length, out);
  if (f.masked) {
    std::memcpy(out + pos, &f.mask_key, 4);
    pos += 4;
  }
  return pos;
}

void serialize(const Frame& f, core::Buffer& out) {
  std::uint8_t* dst = out.prepare(max_header_size + f.payload.size());
  const std::size_t h = write_header(f, dst);
  if (f.masked) {
    mask_copy(dst + h, f.payload.data(), f.payload.size(), f.mask_key);
  } else if (!f.payload.empty()) {
    std::memcpy(dst + h, f.payload.data(), f.payload.size());
  }
  out.commit(h + f.payload.size());
}

void append_unmasked_frame(std::uint8_t first_byte, std::span<const std::uint8_t> payload,
                           core::Buffer& out) {
  const std::size_t n = payload.size();
  std::uint8_t* dst = out.prepare(max_header_size + n);
  dst[0] = first_byte;
  const std::size_t h = write_length(0, n, dst);
  if (n != 0) std::memcpy(dst + h, payload.data(), n);
  out.commit(h + n);
}

}  // namespace uvws::ws
