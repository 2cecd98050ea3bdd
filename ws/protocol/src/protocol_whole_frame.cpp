// Protocol, receiving: the fast path for the commonest frame, a whole unfragmented text or
// binary frame whose header and payload lie in the reader's contiguous bytes (many small
// messages in one read). Its header is parsed in one pass over those bytes, with no gather and
// no copy, and its payload is delivered in place. Every other frame, and every frame that
// breaks a rule, takes the general path of protocol_receive.cpp (parse_frame_header() and
// read_data_payload()), so events and errors are the same whichever path a frame takes.
#include <cstring>
#include <optional>
#include <span>

#include "protocol_pending.h"
#include "uvws/core/utf8.h"
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
  Pending& p = *pending_;
  // A continuation or a new message while one is open is an error or a fragment: general path.
  if (p.message_opcode != Opcode::continuation || !p.message.empty()) return std::nullopt;
  const std::span<std::uint8_t> bytes = p.reader.contiguous();
  const auto f = whole_data_frame(bytes, role_, *options_);
  if (!f) return std::nullopt;
  p.reader.skip(f->header + f->length);
  // No frame or message state is set: once delivered, the frame leaves it as it found it (no
  // frame or message open), and every other field is set afresh when the next frame begins.
  return deliver_whole(f->opcode, bytes.subspan(f->header, f->length), f->mask_key, out);
}

bool Protocol::deliver_whole(Opcode opcode, std::span<std::uint8_t> payload, std::uint32_t mask_key,
                             core::Buffer& out) {
  if (role_ == Role::server) mask_in_place(payload, mask_key, 0);
  if (opcode == Opcode::text) {
    // RFC 6455 8.1, as validate_text() and deliver_message() check it for a message in pieces.
    core::Utf8Validator utf8;
    if (!utf8.feed(payload) || !utf8.complete()) return fail(Error::bad_utf8, out), false;
  }
  if (options_->frame_mode) {
    listener().on_fragment(opcode, payload, true);
  } else {
    listener().on_message(opcode, payload);
  }
  return state_ == State::open || state_ == State::closing;
}

std::span<std::uint8_t> Protocol::receive_whole_frames(std::span<std::uint8_t> data,
                                                       core::Buffer& out) {
  // parsing_ as in parse_input(): a hook's receive_held() waits for this call, and a call
  // nested in a hook parses only what is held (nothing: pending_ is null here).
  parsing_ = true;
  try {
    while (const auto f = whole_data_frame(data, role_, *options_)) {
      const auto payload = data.subspan(f->header, f->length);
      data = data.subspan(f->header + f->length);
      if (!deliver_whole(f->opcode, payload, f->mask_key, out) || receive_paused_) break;
    }
  } catch (...) {
    // A listener threw: what is left is kept for later, as the general path would keep it
    // (the caller's buffer may be reused once we return).
    parsing_ = false;
    if (state_ != State::closed && !data.empty()) {
      if (pending_ == nullptr) pending_ = borrow_pending();
      pending_->reader.feed_data(data);
    }
    throw;
  }
  parsing_ = false;
  return data;
}

}  // namespace uvws::ws
