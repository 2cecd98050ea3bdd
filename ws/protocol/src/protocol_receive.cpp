// Protocol, receiving: receive_*(), the handshake dispatch, the frame reader (header ->
// check_frame -> message-level checks), control frames and the close handshake, and the data
// path (in-place delivery, reassembly, UTF-8 validation, inflating). Everything a received
// byte owes the peer is appended to the `out` the caller gave (see protocol.h).
// Construction, state, failure and sending are in protocol.cpp; the fast path for a whole
// frame that arrived in one read is in protocol_whole_frame.cpp.
#include "uvws/ws/protocol.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>

#include "protocol_extras.h"
#include "protocol_pending.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/mask.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::ws {

void Protocol::receive_data(std::span<const std::uint8_t> data, core::Buffer& out) {
  if (state_ == State::closed) return;
  parse_input(data, {}, out);
}

void Protocol::receive_data_in_place(std::span<std::uint8_t> data, core::Buffer& out) {
  if (state_ == State::closed) return;
  // The common read: nothing held from before, so its whole frames are parsed straight from
  // `data`, without a parse state; the general path takes over at the first frame that is not
  // whole and plain (protocol_whole_frame.cpp), or after a pause.
  if (pending_ == nullptr && !parsing_ && !receive_paused_ &&
      (state_ == State::open || state_ == State::closing)) {
    data = receive_whole_frames(data, out);
    if (data.empty() || state_ == State::closed) return;
  }
  parse_input({}, data, out);
}

void Protocol::receive_held(core::Buffer& out) {
  if (state_ == State::closed || receive_paused_ || parsing_) return;
  parse_input({}, {}, out);
}

Protocol::Pending* Protocol::borrow_pending() {
  Spare& spare = spare_slot();
  if (Pending* p = spare.pending) {
    spare.pending = nullptr;
    return p;
  }
  return new Pending;
}

void Protocol::give_back(Pending* pending) {
  Spare& spare = spare_slot();
  // Kept only when it is as new (nothing open, no buffer): a connection that failed in the
  // middle of a frame leaves one that is not, which goes. Nothing is kept once the thread's
  // thread-local objects are gone (a protocol destroyed after them, as a static one may be).
  if (spare.pending == nullptr && !spare.gone && pending->empty()) {
    spare.pending = pending;
  } else {
    delete pending;
  }
}

Protocol::Spare& Protocol::spare_slot() {
  // One per thread: a receive call on a protocol that holds none borrows it and, in the
  // common case (nothing left over), gives it back as it ends, so that call neither allocates
  // nor builds one. A call in a hook of another protocol's call on this thread (a hook that
  // feeds another connection) finds it taken and allocates. The slot itself has no destructor,
  // so it can still be read after `owner`, which frees the spare at thread exit, is gone.
  thread_local Spare slot;
  struct Owner {
    Spare& spare;
    ~Owner() {
      delete spare.pending;
      spare.pending = nullptr;
      spare.gone = true;
    }
  };
  thread_local Owner owner{slot};
  return owner.spare;
}

void Protocol::parse_input(std::span<const std::uint8_t> copy, std::span<std::uint8_t> lend,
                           core::Buffer& out) {
  // Called from a hook of a receive call on this protocol (ServerProtocol::resume() inside
  // on_request, say): what is held is parsed with the outer call's state, which the outer
  // call keeps or gives back as it ends. Inside receive_whole_frames() nothing is held: the
  // outer call goes on with its bytes once the hook returns. Bytes given to a nested call
  // could not be ordered with the outer call's.
  const bool nested = parsing_;
  if (nested) {
    if (!copy.empty() || !lend.empty()) {
      throw std::logic_error("Protocol: bytes received inside a hook of a receive call");
    }
    if (pending_ == nullptr) return;
  } else {
    if (pending_ == nullptr) pending_ = borrow_pending();
    parsing_ = true;
  }
  try {
    if (!copy.empty()) pending_->reader.feed_data(copy);
    if (!lend.empty()) pending_->reader.lend(lend);
    parse(out);
  } catch (...) {
    end_input(nested);  // a listener threw: the glue reports that and closes with 1011
    throw;
  }
  end_input(nested);
}

void Protocol::end_input(bool nested) {
  if (!nested) parsing_ = false;
  Pending& p = *pending_;
  // The caller's buffer may be reused once the call returns: the unread lent bytes are copied
  // out of it (also when a listener threw). Nothing is parsed after the end.
  const bool closed = state_ == State::closed;
  if (closed) p.reader.discard();
  try {
    p.reader.reclaim();
  } catch (...) {
    // No memory for the unread bytes: the connection cannot go on without them.
    state_ = State::closed;
    p.reader.discard();
    p.reader.reclaim();  // forgets the loan, copying nothing
    if (!nested) {
      pending_ = nullptr;
      give_back(&p);
    }
    throw;
  }
  if (!nested && (closed || p.empty())) {
    pending_ = nullptr;
    give_back(&p);
  }
}

std::optional<std::span<std::uint8_t>> Protocol::read_header_block(bool& too_large) {
  Pending& p = *pending_;
  too_large = false;
  const std::size_t limit = options_->http.max_header_bytes;
  const std::size_t avail = p.reader.available();
  if (avail == 0) return std::nullopt;
  // Only the first `limit` bytes can hold the end of an acceptable block.
  const std::size_t window = std::min(avail, limit);
  auto bytes = p.reader.peek(window);
  Extras& x = extras();
  const std::size_t end = find_header_end(*bytes, std::min(x.header_scan, window));
  if (end == std::string_view::npos) {
    x.header_scan = window;
    too_large = avail >= limit;
    return std::nullopt;
  }
  x.header_scan = 0;
  return p.reader.read_exact(end);
}

void Protocol::receive_eof() {
  if (state_ == State::closed) return;
  // RFC 6455 7.1.5: without a close frame the connection closed abnormally (1006). Bytes of an
  // incomplete frame or handshake still held are dropped with it.
  if (state_ == State::connecting && role_ == Role::server && extras_ && extras_->request) {
    extras_->unanswered_end = Error::unexpected_eof;  // a deferred answer comes too late
  }
  state_ = State::closed;
  drop_pending();
  extras().failure_code = close_code::abnormal;
  listener().on_failed(Error::unexpected_eof);
}

bool Protocol::receive_handshake(core::Buffer& out) {
  return role_ == Role::server ? static_cast<ServerProtocol*>(this)->receive_handshake(out)
                               : static_cast<ClientProtocol*>(this)->receive_handshake(out);
}

void Protocol::parse(core::Buffer& out) {
  Pending& p = *pending_;
  if (state_ == State::connecting && !receive_handshake(out)) return;
  while ((state_ == State::open || state_ == State::closing) && !receive_paused_) {
    if (!p.in_frame) {
      // Between frames with nothing left to read: the usual end of a read, which neither
      // path below would get further with.
      if (p.reader.available() == 0) return;
      if (const auto whole = read_whole_frame(out)) {
        if (!*whole) return;
        continue;
      }
      if (!parse_frame_header(out)) return;
    }
    const bool done = is_control(p.frame_opcode) ? read_control_frame(out) : read_data_payload(out);
    if (!done) return;
  }
}

bool Protocol::parse_frame_header(core::Buffer& out) {
  Pending& p = *pending_;
  auto first = p.reader.peek(2);
  if (!first) return false;
  auto bytes = p.reader.read_exact(header_size((*first)[1]));
  if (!bytes) return false;
  Frame f;
  switch (parse_header(*bytes, f, options_->strict_lengths)) {
    case HeaderStatus::ok:
      break;
    case HeaderStatus::bad_length:
      return fail(Error::bad_length, out), false;
    case HeaderStatus::non_minimal_length:
      return fail(Error::non_minimal_length, out), false;
  }
  // The frame by itself (opcode, reserved bits, mask, control frame rules), then what depends
  // on the frames before it.
  if (const auto e = check_frame(f, role_, compression_enabled())) return fail(*e, out), false;
  if (!is_control(f.opcode)) {
    // RFC 6455 5.4: a continuation needs an open message; a new message needs none open.
    const bool open_message = p.message_opcode != Opcode::continuation;
    if (f.opcode == Opcode::continuation && !open_message) {
      return fail(Error::unexpected_continuation, out), false;
    }
    if (f.opcode != Opcode::continuation && open_message) {
      return fail(Error::expected_continuation, out), false;
    }
    if (f.length > options_->max_frame_size) return fail(Error::frame_too_big, out), false;
    if (f.opcode != Opcode::continuation) {
      p.message_opcode = f.opcode;
      p.message_compressed = f.rsv1;
      p.message_size = 0;
      p.utf8.reset();
    }
    // Uncompressed sizes are known from the header: fail before any payload is read.
    if (!p.message_compressed && f.length > options_->max_message_size - p.message_size) {
      return fail(Error::message_too_big, out), false;
    }
  }
  p.frame_opcode = f.opcode;
  p.frame_fin = f.fin;
  p.frame_remaining = f.length;
  p.mask_key = f.mask_key;
  p.mask_offset = 0;
  p.in_frame = true;
  return true;
}

bool Protocol::read_control_frame(core::Buffer& out) {
  Pending& p = *pending_;
  // Control payloads are small: wait for all of it, then act.
  auto bytes = p.reader.read_exact(static_cast<std::size_t>(p.frame_remaining));
  if (!bytes) return false;
  std::span<std::uint8_t> payload = *bytes;
  if (role_ == Role::server) mask_in_place(payload, p.mask_key, 0);
  p.in_frame = false;
  p.frame_remaining = 0;
  switch (p.frame_opcode) {
    case Opcode::ping:
      // RFC 6455 5.5.2: answer with a pong carrying the same payload, unless we already sent
      // a close frame.
      if (options_->auto_pong && state_ == State::open) {
        write_frame(Opcode::pong, payload, true, false, out);
      }
      listener().on_ping(payload);
      return true;
    case Opcode::pong:
      listener().on_pong(payload);
      return true;
    case Opcode::close:
      return handle_close(payload, out);
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
      break;
  }
  // Data frames never get here: parse() hands them to read_data_payload().
  assert(false && "read_control_frame: not a control frame");
  return false;
}

bool Protocol::handle_close(std::span<std::uint8_t> payload, core::Buffer& out) {
  Pending& p = *pending_;
  // RFC 6455 5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
  if (payload.size() == 1) return fail(Error::bad_close_payload, out), false;
  std::uint16_t code = close_code::no_status;
  std::string_view reason;
  if (payload.size() >= 2) {
    code = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
    if (!is_valid_close_code(code)) return fail(Error::bad_close_code, out), false;
    auto text = payload.subspan(2);
    if (!core::is_valid_utf8(text)) return fail(Error::bad_close_reason, out), false;
    reason = {reinterpret_cast<const char*>(text.data()), text.size()};
  }
  close_received_ = code;
  if (!reason.empty()) extras().close_reason.assign(reason);
  if (state_ == State::open) {
    // Echo the code (RFC 6455 5.5.1 "typically echos the status code it received"); an empty
    // close answers an empty one.
    write_frame(Opcode::close, payload.first(payload.empty() ? 0 : 2), true, false, out);
    close_sent_ = code == close_code::no_status ? 0 : code;
  }
  // Both close frames are now sent and received: the handshake is over. Anything after the
  // peer's close frame is ignored (RFC 6455 5.5.1: nothing may follow it).
  state_ = State::closed;
  p.message.release();
  listener().on_close(code, reason);
  return false;
}

bool Protocol::validate_text(std::span<const std::uint8_t> bytes, core::Buffer& out) {
  Pending& p = *pending_;
  if (p.message_opcode != Opcode::text) return true;
  if (p.utf8.feed(bytes)) return true;
  fail(Error::bad_utf8, out);
  return false;
}

bool Protocol::read_data_payload(core::Buffer& out) {
  Pending& p = *pending_;
  // Fast path: a frame that is a whole message (or, in frame mode, a whole frame) and whose
  // payload is already here is delivered in place, with no copy.
  if (!p.message_compressed && p.message.empty() && (p.frame_fin || options_->frame_mode) &&
      p.reader.available() >= p.frame_remaining) {
    auto payload = *p.reader.read_exact(static_cast<std::size_t>(p.frame_remaining));
    if (role_ == Role::server) mask_in_place(payload, p.mask_key, 0);
    p.frame_remaining = 0;
    p.in_frame = false;
    p.message_size += payload.size();
    if (!validate_text(payload, out)) return false;
    return deliver_message(payload, out);
  }
  // General path: take the payload as it comes, unmasking, validating and (when compressed)
  // inflating each piece, so failures show at the first bad byte.
  // The reassembly buffer grows with the bytes that actually arrived, not with what a header
  // announces, so a peer cannot make us allocate without sending.
  while (p.frame_remaining > 0) {
    auto chunk = p.reader.read_some(static_cast<std::size_t>(p.frame_remaining));
    if (chunk.empty()) return false;
    p.frame_remaining -= chunk.size();
    if (!accept_data(chunk, out)) return false;
  }
  p.in_frame = false;
  return end_data_frame(out);
}

bool Protocol::accept_data(std::span<std::uint8_t> chunk, core::Buffer& out) {
  Pending& p = *pending_;
  const bool masked = role_ == Role::server;
  if (p.message_compressed) {
    if (masked) {
      p.mask_offset =
          static_cast<std::uint8_t>(mask_in_place(chunk, p.mask_key, p.mask_offset) & 3);
    }
    const std::size_t before = p.message.size();
    const std::size_t room = options_->max_message_size - p.message_size;
    const auto error = extras_->deflate->inflate(chunk, p.message, room + before);
    return accept_inflated(before, error, out);
  }
  // Unmasked (or copied) straight into the message buffer: one pass over the bytes.
  std::uint8_t* dst = p.message.prepare(chunk.size());
  if (masked) {
    p.mask_offset = static_cast<std::uint8_t>(
        mask_copy(dst, chunk.data(), chunk.size(), p.mask_key, p.mask_offset) & 3);
  } else {
    std::memcpy(dst, chunk.data(), chunk.size());
  }
  p.message.commit(chunk.size());
  p.message_size += chunk.size();
  return validate_text({dst, chunk.size()}, out);
}

bool Protocol::accept_inflated(std::size_t before, std::optional<Error> inflate_error,
                               core::Buffer& out) {
  Pending& p = *pending_;
  // The output inflated before an error is checked first: zlib produces the same bytes up to
  // the error however the compressed data was split, so a bad byte among them must fail the
  // same way (bad_utf8) whether the error was seen in the same call or a later one.
  const auto produced = p.message.span().subspan(before);
  p.message_size += produced.size();
  if (!validate_text(produced, out)) return false;
  if (inflate_error) return fail(*inflate_error, out), false;
  return true;
}

bool Protocol::end_data_frame(core::Buffer& out) {
  Pending& p = *pending_;
  if (p.message_compressed && p.frame_fin) {
    // RFC 7692 7.2.2: append 0x00 0x00 0xff 0xff and inflate the end of the message.
    const std::size_t before = p.message.size();
    const std::size_t room = options_->max_message_size - p.message_size;
    const auto error = extras_->deflate->finish_inflate(p.message, room + before);
    if (!accept_inflated(before, error, out)) return false;
  }
  if (!options_->frame_mode && !p.frame_fin) return true;  // more fragments to come
  return deliver_message(p.message.span(), out);
}

bool Protocol::deliver_message(std::span<std::uint8_t> payload, core::Buffer& out) {
  Pending& p = *pending_;
  const Opcode op = p.message_opcode;
  const bool fin = p.frame_fin;
  if (fin) {
    // RFC 6455 8.1: a text message must end on a whole code point.
    if (op == Opcode::text && !p.utf8.complete()) return fail(Error::bad_utf8, out), false;
    p.message_opcode = Opcode::continuation;
  }
  {
    // The reassembly buffer is reset once the listener is done with the payload, also when
    // the listener throws, so that the next message starts empty. An idle connection holds
    // no buffer: it is freed when a message ends.
    struct Reset {
      core::Buffer& message;
      bool fin;
      ~Reset() {
        if (message.capacity() == 0) return;
        if (fin) {
          message.release();
        } else {
          message.clear();
        }
      }
    } reset{p.message, fin};
    if (options_->frame_mode) {
      listener().on_fragment(op, payload, fin);
    } else {
      listener().on_message(op, payload);
    }
  }
  return state_ == State::open || state_ == State::closing;
}

}  // namespace uvws::ws
