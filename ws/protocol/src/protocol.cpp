// Protocol: construction and state, ending the connection (terminate, failures), and
// sending. What comes in (receive_*(), the frame reader, the data path) is in
// protocol_receive.cpp.
#include "uvws/ws/protocol.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "protocol_extras.h"
#include "protocol_pending.h"
#include "uvws/core/random.h"

namespace uvws::ws {

void ProtocolOptions::validate() const {
  if (max_message_size == 0 || max_message_size > core::Buffer::max_size) {
    throw std::invalid_argument("max_message_size must be between 1 and 4 GiB - 1");
  }
  if (max_frame_size == 0 || max_frame_size > core::Buffer::max_size) {
    throw std::invalid_argument("max_frame_size must be between 1 and 4 GiB - 1");
  }
  if (http.max_header_bytes < 64 || http.max_headers == 0) {
    throw std::invalid_argument("http limits: max_header_bytes >= 64 and max_headers >= 1");
  }
  ws::validate(deflate);
}

Protocol::Protocol(Role role, const ProtocolOptions& options, ProtocolListener& listener)
    : options_(&options), listener_(&listener), role_(role) {}

Protocol::~Protocol() {
  // (Never destroyed inside its own receive call, when pending_ may be that call's.)
  delete pending_;
}

std::size_t Protocol::pending_bytes() const {
  return pending_->message.capacity() + pending_->reader.held_bytes();
}

void Protocol::drop_pending() {
  if (pending_ == nullptr) return;
  // A hook of the call in progress ended the connection: that call gives the state back as it
  // ends (closed by then), and until then the hook may still be reading the payload it was
  // given, which may lie in this state's buffers.
  if (parsing_) return;
  give_back(pending_);
  pending_ = nullptr;
}

Protocol::Extras& Protocol::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

std::string_view Protocol::subprotocol() const {
  return extras_ ? std::string_view(extras_->subprotocol) : std::string_view();
}

void Protocol::release_idle() {
  if (compression_enabled()) extras_->deflate->release_idle();
}

std::string_view Protocol::close_reason_received() const {
  return extras_ ? std::string_view(extras_->close_reason) : std::string_view();
}

std::uint16_t Protocol::close_code_to_report() const {
  if (close_received_ != 0) return close_received_;
  // RFC 6455 7.1.5: without the peer's close frame the code is 1006, even after we sent ours;
  // a failure we detected reports its own code instead, which says more.
  if (extras_ && extras_->failure_code != 0) return extras_->failure_code;
  return close_code::abnormal;
}

void Protocol::trim_extras() {
  if (!extras_) return;
  Extras& x = *extras_;
  // The handshake's leftovers are no longer needed once the connection is open.
  if (state_ != State::connecting) {
    std::string().swap(x.client_key);
    x.header_scan = 0;
  }
  const bool needed = x.deflate || !x.subprotocol.empty() || !x.close_reason.empty() ||
                      x.failure_code != 0 || x.mask_key_source != nullptr ||
                      !x.client_key.empty() || x.header_scan != 0 || x.request || x.response;
  if (!needed) extras_.reset();
}

const PerMessageDeflate* Protocol::deflate() const {
  return compressing_ ? extras_->deflate.get() : nullptr;
}

void Protocol::enable_deflate(const DeflateParams& params) {
  extras().deflate = std::make_unique<PerMessageDeflate>(
      params,
      role_ == Role::server ? PerMessageDeflate::Role::server : PerMessageDeflate::Role::client,
      options_->deflate);
  compressing_ = true;
}

// ---------------------------------------------------------------------------------------
// Ending the connection

void Protocol::terminate() {
  state_ = State::closed;
  drop_pending();
}

void Protocol::fail(Error e, core::Buffer& out) {
  if (state_ == State::closed) return;
  const std::uint16_t code = close_code_for(e);
  extras().failure_code = code;
  // RFC 6455 7.1.7: fail the connection — send a close frame with the code (unless one was
  // sent already), then close. Nothing after the failure is parsed.
  if (state_ == State::open) {
    if (code != close_code::abnormal) {
      const std::uint8_t payload[2] = {static_cast<std::uint8_t>(code >> 8),
                                       static_cast<std::uint8_t>(code)};
      write_frame(Opcode::close, payload, true, false, out);
      close_sent_ = code;
    }
  }
  state_ = State::closed;
  if (pending_ != nullptr) pending_->message.release();
  listener().on_failed(e);
}

void Protocol::fail_handshake(Error e, std::string_view http_answer, core::Buffer& out) {
  if (!http_answer.empty()) out.append(http_answer);
  extras().failure_code = close_code::abnormal;
  state_ = State::closed;
  listener().on_failed(e);
}

// ---------------------------------------------------------------------------------------
// Sending

void Protocol::write_frame(Opcode opcode, std::span<const std::uint8_t> payload, bool fin,
                           bool rsv1, core::Buffer& out) {
  if (role_ == Role::server) {
    // Every frame a server sends is unmasked (RFC 6455 5.1): the header goes straight into
    // `out`, without the general Frame and its masking branches (serialize()).
    append_unmasked_frame(static_cast<std::uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) |
                                                    static_cast<unsigned>(opcode)),
                          payload, out);
    return;
  }
  Frame f;
  f.fin = fin;
  f.rsv1 = rsv1;
  f.opcode = opcode;
  f.length = payload.size();
  f.payload = payload;
  if (role_ == Role::client) {
    // RFC 6455 5.3: a fresh, unpredictable key per frame, from a CSPRNG.
    f.masked = true;
    f.mask_key =
        extras_ && extras_->mask_key_source ? extras_->mask_key_source() : core::random_mask_key();
  }
  serialize(f, out);
}

bool Protocol::send_message(Opcode opcode, std::span<const std::uint8_t> data, core::Buffer& out) {
  if (state_ != State::open || sending_fragmented_) return false;
  if (compression_enabled() && extras_->deflate->should_compress(data.size())) {
    // Compressed into a per-thread scratch buffer, then framed: no per-message allocation.
    thread_local core::Buffer scratch;
    scratch.clear();
    extras_->deflate->compress(data, scratch);
    write_frame(opcode, scratch.span(), true, true, out);
    if (scratch.capacity() > (1u << 20)) scratch.release();
    return true;
  }
  write_frame(opcode, data, true, false, out);
  return true;
}

bool Protocol::send_text(std::string_view text, core::Buffer& out) {
  return send_message(Opcode::text,
                      {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, out);
}

bool Protocol::send_binary(std::span<const std::uint8_t> data, core::Buffer& out) {
  return send_message(Opcode::binary, data, out);
}

bool Protocol::send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin,
                             core::Buffer& out) {
  if (opcode != Opcode::text && opcode != Opcode::binary) {
    throw std::invalid_argument("send_fragment: opcode must be text or binary");
  }
  if (state_ != State::open) return false;
  // Fragments are sent uncompressed (RSV1 clear), which RFC 7692 allows for any message.
  write_frame(sending_fragmented_ ? Opcode::continuation : opcode, data, fin, false, out);
  sending_fragmented_ = !fin;
  return true;
}

bool Protocol::send_ping(std::span<const std::uint8_t> payload, core::Buffer& out) {
  if (payload.size() > max_control_payload) throw std::invalid_argument("ping over 125 bytes");
  if (state_ != State::open) return false;
  write_frame(Opcode::ping, payload, true, false, out);
  return true;
}

bool Protocol::send_pong(std::span<const std::uint8_t> payload, core::Buffer& out) {
  if (payload.size() > max_control_payload) throw std::invalid_argument("pong over 125 bytes");
  if (state_ != State::open) return false;
  write_frame(Opcode::pong, payload, true, false, out);
  return true;
}

void check_close_arguments(std::uint16_t code, std::string_view reason) {
  if (code != 0 && !is_valid_close_code(code)) {
    throw std::invalid_argument("close: code " + std::to_string(code) + " not allowed on the wire");
  }
  if (code == 0 && !reason.empty()) throw std::invalid_argument("close: a reason needs a code");
  if (reason.size() > max_control_payload - 2) {
    throw std::invalid_argument("close: reason over 123 bytes");
  }
  if (!core::is_valid_utf8({reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()})) {
    throw std::invalid_argument("close: reason is not UTF-8");
  }
}

bool Protocol::send_close(std::uint16_t code, std::string_view reason, core::Buffer& out) {
  check_close_arguments(code, reason);
  if (state_ != State::open) return false;
  std::uint8_t payload[max_control_payload];
  std::size_t n = 0;
  if (code != 0) {
    payload[0] = static_cast<std::uint8_t>(code >> 8);
    payload[1] = static_cast<std::uint8_t>(code);
    // (A default string_view has no data pointer, which memcpy may not be given.)
    if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
    n = 2 + reason.size();
  }
  write_frame(Opcode::close, {payload, n}, true, false, out);
  close_sent_ = code;
  state_ = State::closing;
  return true;
}

}  // namespace uvws::ws
