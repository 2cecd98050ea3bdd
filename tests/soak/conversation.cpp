#include "conversation.h"

#include <charconv>

namespace soak {

void Conversation::append_message(std::string& out, Rng& rng, std::size_t len) {
  const std::uint64_t seq = next_seq_++;
  const std::string body = message(key_, seq, len);
  in_flight_.push_back({seq, len});
  // One message in ten is sent as 2 or 3 fragments, one of those in three with a ping between
  // two fragments.
  if (len < 4 || !rng.chance(10)) {
    append_frame(out, op_text, true, body, rng.mask_key());
    return;
  }
  const std::size_t parts = rng.between(2, 3);
  const std::size_t step = len / parts;
  for (std::size_t i = 0; i < parts; ++i) {
    const std::size_t from = i * step;
    const std::size_t to = i + 1 == parts ? len : from + step;
    append_frame(out, i == 0 ? op_text : op_continuation, i + 1 == parts,
                 std::string_view(body).substr(from, to - from), rng.mask_key());
    if (i + 1 < parts && rng.chance(33)) append_ping(out, rng);
  }
}

void Conversation::append_ping(std::string& out, Rng& rng) {
  std::string payload = "ping " + std::to_string(rng.next() % 1000000);
  append_frame(out, op_ping, true, payload, rng.mask_key());
  pings_.push_back(std::move(payload));
}

bool Conversation::receive(std::span<const std::uint8_t> bytes) {
  return reader_.feed(bytes, *this);
}

bool Conversation::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  return false;
}

bool Conversation::on_header(const FrameReader::Header& h) {
  if (got_close_) return fail("a frame after the server's close frame (RFC 6455 5.5.1)");
  // RFC 6455 5.1: a server never masks; 5.2: no extension was negotiated, so no RSV bits.
  if (h.masked) return fail("a masked frame from the server");
  if (h.rsv != 0) return fail("a reserved bit set without an extension");
  frame_ = h;
  if (is_control(h.opcode)) {
    if (h.opcode != op_close && h.opcode != op_ping && h.opcode != op_pong) {
      return fail("unknown control opcode " + std::to_string(h.opcode));
    }
    // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!h.fin || h.length > 125) return fail("a fragmented or long control frame");
    control_.clear();
    return true;
  }
  if (h.opcode == op_continuation) {
    if (!in_message_) return fail("a continuation frame outside a message");
  } else if (h.opcode == op_text) {
    if (in_message_) return fail("a new message inside a fragmented one");
    if (in_flight_.empty()) return fail("an echo of a message never sent (or echoed twice)");
    in_message_ = true;
    offset_ = 0;
    whole_.clear();
  } else {
    return fail("opcode " + std::to_string(h.opcode) + " where a text echo was due");
  }
  if (!allow_drops_ && offset_ + h.length > in_flight_.front().len) {
    return fail("an echo longer than message " + std::to_string(in_flight_.front().seq));
  }
  return true;
}

bool Conversation::on_payload(std::span<const std::uint8_t> chunk) {
  if (is_control(frame_.opcode)) {
    control_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return true;
  }
  if (allow_drops_) {
    if (whole_.size() + chunk.size() > (1u << 20)) return fail("an echo longer than 1 MiB");
    whole_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return true;
  }
  const Sent& want = in_flight_.front();
  if (!message_matches(key_, want.seq, offset_, chunk.data(), chunk.size())) {
    return fail("echo of message " + std::to_string(want.seq) + " differs at offset " +
                std::to_string(offset_));
  }
  offset_ += chunk.size();
  return true;
}

bool Conversation::on_end() {
  switch (frame_.opcode) {
    case op_ping:
      return owner_.on_ping(control_);
    case op_pong:
      if (pings_.empty() || pings_.front() != control_) {
        return fail("a pong that answers no ping in order: '" + control_ + "'");
      }
      pings_.pop_front();
      ++pongs_;
      return true;
    case op_close: {
      got_close_ = true;
      if (control_.size() == 1) return fail("a close frame with a 1-byte body (RFC 6455 5.5.1)");
      const unsigned code =
          control_.empty() ? 1005u
                           : (static_cast<unsigned>(static_cast<std::uint8_t>(control_[0])) << 8) |
                                 static_cast<std::uint8_t>(control_[1]);
      return owner_.on_close_frame(code);
    }
    default:
      break;
  }
  if (!frame_.fin) return true;
  in_message_ = false;
  return finish_message();
}

bool Conversation::finish_message() {
  if (!allow_drops_) {
    const Sent want = in_flight_.front();
    if (offset_ != want.len) {
      return fail("echo of message " + std::to_string(want.seq) + " is " + std::to_string(offset_) +
                  " bytes, not " + std::to_string(want.len));
    }
    in_flight_.pop_front();
    ++echoed_;
    return owner_.on_echo();
  }
  // Which message is it? Its "<seq>;" prefix says; the ones before it were dropped.
  std::uint64_t seq = 0;
  const auto semicolon = whole_.find(';');
  const auto [end, ec] = std::from_chars(whole_.data(), whole_.data() + whole_.size(), seq);
  if (ec != std::errc() || semicolon == std::string::npos || end != whole_.data() + semicolon) {
    return fail("an echo without its sequence number");
  }
  while (!in_flight_.empty() && in_flight_.front().seq < seq) {
    in_flight_.pop_front();
    ++dropped_;
  }
  if (in_flight_.empty() || in_flight_.front().seq != seq) {
    return fail("echo of message " + std::to_string(seq) + " out of order or never sent");
  }
  const Sent want = in_flight_.front();
  if (whole_.size() != want.len ||
      !message_matches(key_, seq, 0, reinterpret_cast<const std::uint8_t*>(whole_.data()),
                       whole_.size())) {
    return fail("echo of message " + std::to_string(seq) + " differs from what was sent");
  }
  in_flight_.pop_front();
  ++echoed_;
  return owner_.on_echo();
}

}  // namespace soak
