// PayloadPattern: the messages uvws-loadgen sends, and the check of their echoes.
//
// Every message of a run has the same size. Its first 16 bytes (fewer if it is shorter) are a
// tag, the connection index and the message's sequence number in hex, so an echo that comes
// back on the wrong connection or out of order fails the check; the rest is a fixed pattern,
// printable ASCII for text (valid UTF-8) and all byte values for binary. Building a frame
// masks the pattern straight into the output buffer, and checking an echo compares it piece
// by piece as it arrives, so neither side copies a whole message.
//
// Immutable after construction; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

namespace uvws::bench {

using Tag = std::array<std::uint8_t, 16>;

class PayloadPattern {
 public:
  PayloadPattern(std::size_t size, bool binary);

  std::size_t size() const { return base_.size(); }
  ws::Opcode opcode() const { return opcode_; }

  static Tag make_tag(std::uint32_t connection, std::uint64_t seq);

  // Appends message `tag` as one masked frame (RFC 6455 5.2, 5.3) with `mask_key`.
  void append_frame(core::Buffer& out, const Tag& tag, std::uint32_t mask_key) const;

  // True when `chunk` equals bytes [offset, offset + chunk.size()) of message `tag`'s payload.
  // Precondition: offset + chunk.size() <= size().
  bool matches(const Tag& tag, std::size_t offset, std::span<const std::uint8_t> chunk) const;

 private:
  std::vector<std::uint8_t> base_;
  ws::Opcode opcode_;
};

}  // namespace uvws::bench
