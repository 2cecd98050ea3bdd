// Protocol::Pending: the parse state of a connection — the reader with the bytes kept from
// earlier reads, the frame being read and the message being assembled. Private to the
// protocol's implementation files.
//
// Why it is not a member of Protocol: between two messages that each arrive whole in one read,
// none of it holds anything, and an idle connection is almost always there. So a receive call
// borrows one (its thread's spare: Protocol::parse_input) and keeps it only when something
// must outlive the call: a frame, a message or unparsed bytes that span reads (or that wait,
// while paused or before the handshake's answer). The call that completes them gives it back.
// An idle connection costs one null pointer instead of this state (about 100 bytes), and the
// common call neither allocates nor builds one; an allocation comes only where the reader or
// the message buffer allocates anyway.
#pragma once

#include <cstdint>

#include "uvws/core/buffer.h"
#include "uvws/core/stream_reader.h"
#include "uvws/core/utf8.h"
#include "uvws/ws/frame.h"
#include "uvws/ws/protocol.h"

namespace uvws::ws {

struct Protocol::Pending {
  core::StreamReader reader;          // the received bytes not parsed yet
  core::Buffer message;               // payload of a message spanning reads or frames
  std::uint64_t frame_remaining = 0;  // payload bytes of the current frame still to come
  std::uint64_t message_size = 0;     // payload bytes of the current message so far
  std::uint32_t mask_key = 0;
  core::Utf8Validator utf8;
  Opcode frame_opcode = Opcode::continuation;
  Opcode message_opcode = Opcode::continuation;  // continuation = no message open
  std::uint8_t mask_offset = 0;
  bool in_frame = false;
  bool frame_fin = false;
  bool message_compressed = false;

  // Nothing in it outlives the call: no frame or message open, no byte kept, no buffer held.
  // It is then as good as new: the other fields are set afresh when the next frame or message
  // begins, before they are read. Call after the reader's reclaim().
  bool empty() const {
    return !in_frame && message_opcode == Opcode::continuation && message.capacity() == 0 &&
           reader.available() == 0 && reader.held_bytes() == 0;
  }
};

inline core::StreamReader& Protocol::reader() {
  return pending_->reader;
}

}  // namespace uvws::ws
