// Protocol, receiving: the fast path for the commonest frame, a whole unfragmented text or
// binary frame whose header and payload lie in the reader's contiguous bytes (many small
// messages in one read). Its header is parsed in one pass over those bytes, with no gather and
// no copy, and its payload is delivered in place. Every other frame, and every frame that
// breaks a rule, takes the general path of protocol_receive.cpp (parse_frame_header() and
// read_data_payload()), so events and errors are the same whichever path a frame takes.
#include <cstring>
#include <optional>
#include <span>

#include "uvws/ws/mask.h"
#include "uvws/ws/protocol.h"

namespace uvws::ws {

namespace {

// Where a whole data frame lies in the bytes at hand.
struct WholeFrame {
  Opcode opcode;
  std::uint32_t mask_key;
  std::size_t header;  // header bytes, masking key included
  std::size_t length;  // payload bytes, which follow the header
};

// The frame at the start of `bytes` when it is the common case that needs none of the general
// path's machinery: FIN set, no reserved bit, text or binary (so no message may be open,
// which the caller checks), the mask bit `role` calls for (RFC 6455 5.1), a 7- or 16-bit
// length in its minimal form when `strict_lengths` (RFC 6455 5.2), within max_frame_size and
// max_message_size, and header and payload both in `bytes`. Any other frame, including every
// frame that breaks a rule, gets nullopt and takes the general path, which reports the same
// error for it as it always did: this path only skips work, never decides an outcome.
std::optional<WholeFrame> whole_data_frame(std::span<const std::uint8_t> bytes, Role role,
                                           const ProtocolOptions& options) {
  if (bytes.size() < 2) return std::nullopt;
  const std::uint8_t b0 = bytes[0];
  const std::uint8_t b1 = bytes[1];
  if (b0 != 0x81 && b0 != 0x82) return std::nullopt;  // FIN, RSV1-3 clear, text or binary
  const bool masked = (b1 & 0x80) != 0;
  if (masked != (role == Role::server)) return std::nullopt;
  std::size_t length = b1 & 0x7Fu;
  std::size_t header = 2;
  if (length == 126) {
    if (bytes.size() < 4) return std::nullopt;
    length = (std::size_t{bytes[2]} << 8) | bytes[3];
    if (options.strict_lengths && length < 126) return std::nullopt;
    header = 4;
  } else if (length == 127) {
    return std::nullopt;  // over 64 KiB: the header is a small part of the cost
  }
  std::uint32_t mask_key = 0;
  if (masked) {
    if (bytes.size() < header + 4) return std::nullopt;
    std::memcpy(&mask_key, bytes.data() + header, 4);
    header += 4;
  }
  if (length > options.max_frame_size || length > options.max_message_size) return std::nullopt;
  if (bytes.size() - header < length) return std::nullopt;
  return WholeFrame{static_cast<Opcode>(b0 & 0x0F), mask_key, header, length};
}

}  // namespace

std::optional<bool> Protocol::read_whole_frame(core::Buffer& out) {
  // A continuation or a new message while one is open is an error or a fragment: general path.
  if (message_opcode_ != Opcode::continuation || !message_.empty()) return std::nullopt;
  const std::span<std::uint8_t> bytes = reader_.contiguous();
  const auto f = whole_data_frame(bytes, role_, *options_);
  if (!f) return std::nullopt;
  reader_.skip(f->header + f->length);
  // The state parse_frame_header() and read_data_payload() leave after such a frame.
  message_opcode_ = f->opcode;
  message_compressed_ = false;
  message_size_ = f->length;
  utf8_.reset();
  frame_opcode_ = f->opcode;
  frame_fin_ = true;
  frame_remaining_ = 0;
  mask_key_ = f->mask_key;
  mask_offset_ = 0;
  const auto payload = bytes.subspan(f->header, f->length);
  if (role_ == Role::server) mask_in_place(payload, f->mask_key, 0);
  if (!validate_text(payload, out)) return false;
  return deliver_message(payload, out);
}

}  // namespace uvws::ws
