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

#include "protocol_extras.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/mask.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::ws {

void Protocol::receive_data(std::span<const std::uint8_t> data, core::Buffer& out) {
  if (state_ == State::closed) return;
  reader_.feed_data(data);
  parse_buffered(out);
}

void Protocol::receive_data_in_place(std::span<std::uint8_t> data, core::Buffer& out) {
  if (state_ == State::closed) return;
  reader_.lend(data);
  parse_buffered(out);
}

void Protocol::receive_held(core::Buffer& out) {
  if (state_ == State::closed || receive_paused_ || parsing_) return;
  parse_buffered(out);
}

void Protocol::parse_buffered(core::Buffer& out) {
  // Not nested: a hook that calls receive_held() (or ServerProtocol::resume()) on this
  // protocol finds parsing_ set and leaves the rest to this call.
  struct Parsing {
    bool& flag;
    bool before;
    explicit Parsing(bool& f) : flag(f), before(f) { flag = true; }
    ~Parsing() { flag = before; }
  } parsing{parsing_};
  try {
    parse(out);
  } catch (...) {
    // A listener threw (the glue reports that and closes with 1011). The parser's own state
    // is consistent between frames, but the caller's buffer may be reused once we return, so
    // the unread bytes are copied out of it here as after any other call.
    reader_.reclaim();
    throw;
  }
  if (state_ == State::closed) reader_.discard();
  reader_.reclaim();
}

std::optional<std::span<std::uint8_t>> Protocol::read_header_block(bool& too_large) {
  too_large = false;
  const std::size_t limit = options_->http.max_header_bytes;
  const std::size_t avail = reader_.available();
  if (avail == 0) return std::nullopt;
  // Only the first `limit` bytes can hold the end of an acceptable block.
  const std::size_t window = std::min(avail, limit);
  auto bytes = reader_.peek(window);
  Extras& x = extras();
  const std::size_t end = find_header_end(*bytes, std::min(x.header_scan, window));
  if (end == std::string_view::npos) {
    x.header_scan = window;
    too_large = avail >= limit;
    return std::nullopt;
  }
  x.header_scan = 0;
  return reader_.read_exact(end);
}

void Protocol::receive_eof() {
  reader_.feed_eof();
  if (state_ == State::closed) return;
  // RFC 6455 7.1.5: without a close frame the connection closed abnormally (1006). Bytes of an
  // incomplete frame or handshake still held are dropped with it.
  if (state_ == State::connecting && role_ == Role::server && extras_ && extras_->request) {
    extras_->unanswered_end = Error::unexpected_eof;  // a deferred answer comes too late
  }
  state_ = State::closed;
  reader_.discard();
  reader_.reclaim();
  message_.release();
  extras().failure_code = close_code::abnormal;
  listener().on_failed(Error::unexpected_eof);
}

bool Protocol::receive_handshake(core::Buffer& out) {
  return role_ == Role::server ? static_cast<ServerProtocol*>(this)->receive_handshake(out)
                               : static_cast<ClientProtocol*>(this)->receive_handshake(out);
}

void Protocol::parse(core::Buffer& out) {
  if (state_ == State::connecting && !receive_handshake(out)) return;
  while ((state_ == State::open || state_ == State::closing) && !receive_paused_) {
    if (!in_frame_) {
      // Between frames with nothing left to read: the usual end of a read, which neither
      // path below would get further with.
      if (reader_.available() == 0) return;
      if (const auto whole = read_whole_frame(out)) {
        if (!*whole) return;
        continue;
      }
      if (!parse_frame_header(out)) return;
    }
    const bool done = is_control(frame_opcode_) ? read_control_frame(out) : read_data_payload(out);
    if (!done) return;
  }
}

bool Protocol::parse_frame_header(core::Buffer& out) {
  auto first = reader_.peek(2);
  if (!first) return false;
  auto bytes = reader_.read_exact(header_size((*first)[1]));
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
    const bool open_message = message_opcode_ != Opcode::continuation;
    if (f.opcode == Opcode::continuation && !open_message) {
      return fail(Error::unexpected_continuation, out), false;
    }
    if (f.opcode != Opcode::continuation && open_message) {
      return fail(Error::expected_continuation, out), false;
    }
    if (f.length > options_->max_frame_size) return fail(Error::frame_too_big, out), false;
    if (f.opcode != Opcode::continuation) {
      message_opcode_ = f.opcode;
      message_compressed_ = f.rsv1;
      message_size_ = 0;
      utf8_.reset();
    }
    // Uncompressed sizes are known from the header: fail before any payload is read.
    if (!message_compressed_ && f.length > options_->max_message_size - message_size_) {
      return fail(Error::message_too_big, out), false;
    }
  }
  frame_opcode_ = f.opcode;
  frame_fin_ = f.fin;
  frame_remaining_ = f.length;
  mask_key_ = f.mask_key;
  mask_offset_ = 0;
  in_frame_ = true;
  return true;
}

bool Protocol::read_control_frame(core::Buffer& out) {
  // Control payloads are small: wait for all of it, then act.
  auto bytes = reader_.read_exact(static_cast<std::size_t>(frame_remaining_));
  if (!bytes) return false;
  std::span<std::uint8_t> payload = *bytes;
  if (role_ == Role::server) mask_in_place(payload, mask_key_, 0);
  in_frame_ = false;
  frame_remaining_ = 0;
  switch (frame_opcode_) {
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
  message_.release();
  listener().on_close(code, reason);
  return false;
}

bool Protocol::validate_text(std::span<const std::uint8_t> bytes, core::Buffer& out) {
  if (message_opcode_ != Opcode::text) return true;
  if (utf8_.feed(bytes)) return true;
  fail(Error::bad_utf8, out);
  return false;
}

bool Protocol::read_data_payload(core::Buffer& out) {
  // Fast path: a frame that is a whole message (or, in frame mode, a whole frame) and whose
  // payload is already here is delivered in place, with no copy.
  if (!message_compressed_ && message_.empty() && (frame_fin_ || options_->frame_mode) &&
      reader_.available() >= frame_remaining_) {
    auto payload = *reader_.read_exact(static_cast<std::size_t>(frame_remaining_));
    if (role_ == Role::server) mask_in_place(payload, mask_key_, 0);
    frame_remaining_ = 0;
    in_frame_ = false;
    message_size_ += payload.size();
    if (!validate_text(payload, out)) return false;
    return deliver_message(payload, out);
  }
  // General path: take the payload as it comes, unmasking, validating and (when compressed)
  // inflating each piece, so failures show at the first bad byte.
  // The reassembly buffer grows with the bytes that actually arrived, not with what a header
  // announces, so a peer cannot make us allocate without sending.
  while (frame_remaining_ > 0) {
    auto chunk = reader_.read_some(static_cast<std::size_t>(frame_remaining_));
    if (chunk.empty()) return false;
    frame_remaining_ -= chunk.size();
    if (!accept_data(chunk, out)) return false;
  }
  in_frame_ = false;
  return end_data_frame(out);
}

bool Protocol::accept_data(std::span<std::uint8_t> chunk, core::Buffer& out) {
  const bool masked = role_ == Role::server;
  if (message_compressed_) {
    if (masked) {
      mask_offset_ = static_cast<std::uint8_t>(mask_in_place(chunk, mask_key_, mask_offset_) & 3);
    }
    const std::size_t before = message_.size();
    const std::size_t room = options_->max_message_size - message_size_;
    const auto error = extras_->deflate->inflate(chunk, message_, room + before);
    return accept_inflated(before, error, out);
  }
  // Unmasked (or copied) straight into the message buffer: one pass over the bytes.
  std::uint8_t* dst = message_.prepare(chunk.size());
  if (masked) {
    mask_offset_ = static_cast<std::uint8_t>(
        mask_copy(dst, chunk.data(), chunk.size(), mask_key_, mask_offset_) & 3);
  } else {
    std::memcpy(dst, chunk.data(), chunk.size());
  }
  message_.commit(chunk.size());
  message_size_ += chunk.size();
  return validate_text({dst, chunk.size()}, out);
}

bool Protocol::accept_inflated(std::size_t before, std::optional<Error> inflate_error,
                               core::Buffer& out) {
  // The output inflated before an error is checked first: zlib produces the same bytes up to
  // the error however the compressed data was split, so a bad byte among them must fail the
  // same way (bad_utf8) whether the error was seen in the same call or a later one.
  const auto produced = message_.span().subspan(before);
  message_size_ += produced.size();
  if (!validate_text(produced, out)) return false;
  if (inflate_error) return fail(*inflate_error, out), false;
  return true;
}

bool Protocol::end_data_frame(core::Buffer& out) {
  if (message_compressed_ && frame_fin_) {
    // RFC 7692 7.2.2: append 0x00 0x00 0xff 0xff and inflate the end of the message.
    const std::size_t before = message_.size();
    const std::size_t room = options_->max_message_size - message_size_;
    const auto error = extras_->deflate->finish_inflate(message_, room + before);
    if (!accept_inflated(before, error, out)) return false;
  }
  if (!options_->frame_mode && !frame_fin_) return true;  // more fragments to come
  return deliver_message(message_.span(), out);
}

bool Protocol::deliver_message(std::span<std::uint8_t> payload, core::Buffer& out) {
  const Opcode op = message_opcode_;
  const bool fin = frame_fin_;
  if (fin) {
    // RFC 6455 8.1: a text message must end on a whole code point.
    if (op == Opcode::text && !utf8_.complete()) return fail(Error::bad_utf8, out), false;
    message_opcode_ = Opcode::continuation;
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
    } reset{message_, fin};
    if (options_->frame_mode) {
      listener().on_fragment(op, payload, fin);
    } else {
      listener().on_message(op, payload);
    }
  }
  return state_ == State::open || state_ == State::closing;
}

}  // namespace uvws::ws
