// The faulty peers that act at once: reset, half_close and garbage (see fault_peer.h).
#include "fault_kinds.h"

namespace soak {

namespace {

constexpr std::uint64_t close_deadline_ms = 12000;  // the server's close_timeout (5 s) and slack
constexpr std::uint64_t echo_deadline_ms = 30000;

}  // namespace

// reset --------------------------------------------------------------------------------------

ResetPeer::ResetPeer(PeerHost& host, std::uint64_t key, std::uint64_t variant)
    : FaultPeer(host, key, "reset"), variant_(variant) {
  static const char* const names[] = {"on_connect", "mid_request", "echoes_in_flight",
                                      "after_echoes"};
  count(names[variant]);
}

void ResetPeer::on_connected() {
  if (variant_ == 0) {
    host_.handshake_over(*this);
    finish(true);
  } else if (variant_ == 1) {
    host_.handshake_over(*this);
    const std::string& request = handshake_.request();
    send(request.substr(0, rng_.between(1, request.size() - 1)));
    set_timer(rng_.between(0, 300));
  } else {
    FaultPeer::on_connected();
  }
}

void ResetPeer::on_open() {
  send_messages(rng_.between(1, 4));
  // With echoes in flight: reset almost at once; otherwise wait for them (or fail).
  set_timer(variant_ == 2 ? rng_.between(0, 20) : echo_deadline_ms);
}

bool ResetPeer::on_echo() {
  FaultPeer::on_echo();
  if (variant_ == 3 && conversation_.in_flight() == 0) set_timer(rng_.between(0, 500));
  return true;
}

void ResetPeer::on_own_timer() {
  if (variant_ == 3 && conversation_.in_flight() > 0) {
    fail(std::to_string(conversation_.in_flight()) + " echoes missing after 30 s");
    return;
  }
  finish(true);
}

// half_close ---------------------------------------------------------------------------------

HalfClosePeer::HalfClosePeer(PeerHost& host, std::uint64_t key, std::uint64_t variant)
    : FaultPeer(host, key, "half_close"), variant_(variant) {
  static const char* const names[] = {"mid_request", "after_echoes", "mid_frame",
                                      "after_close_frame"};
  count(names[variant]);
}

void HalfClosePeer::shut() {
  half_close();
  expect_server_close(close_deadline_ms, variant_ == 3 ? 1000 : 0);
}

void HalfClosePeer::on_connected() {
  if (variant_ != 0) {
    FaultPeer::on_connected();
    return;
  }
  host_.handshake_over(*this);
  const std::string& request = handshake_.request();
  send(request.substr(0, rng_.between(1, request.size() - 1)));
  shut();
}

void HalfClosePeer::on_open() {
  switch (variant_) {
    case 1:
      send_messages(rng_.between(1, 3));
      set_timer(echo_deadline_ms);
      return;
    case 2: {
      send_messages(1);
      std::string frame;
      append_frame(frame, op_text, true, std::string(rng_.between(2, 300), 'x'), rng_.mask_key());
      send(frame.substr(0, rng_.between(1, frame.size() - 1)));
      shut();
      return;
    }
    default: {
      send_messages(rng_.between(1, 3));
      std::string close;
      append_close(close, 1000, rng_.mask_key());
      send(std::move(close));
      shut();
      return;
    }
  }
}

bool HalfClosePeer::on_echo() {
  FaultPeer::on_echo();
  if (variant_ == 1 && conversation_.in_flight() == 0 && !awaiting_close_) shut();
  return true;
}

// garbage ------------------------------------------------------------------------------------

GarbagePeer::GarbagePeer(PeerHost& host, std::uint64_t key, std::uint64_t variant)
    : FaultPeer(host, key, "garbage"), variant_(variant) {
  static const char* const names[] = {"before_handshake", "unmasked", "reserved_bits", "bad_utf8",
                                      "reserved_opcode"};
  count(names[variant]);
}

void GarbagePeer::on_connected() {
  if (variant_ != 0) {
    FaultPeer::on_connected();
    return;
  }
  host_.handshake_over(*this);
  // Binary bytes (the first one 0x16, as a TLS record starts), then an empty line, so that
  // the server has a whole "request head" to refuse.
  std::string bytes(1, '\x16');
  const std::uint64_t n = rng_.between(16, 512);
  for (std::uint64_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(rng_.next()));
  bytes += "\r\n\r\n";
  send(std::move(bytes));
  expect_server_close(15000, 0);
}

void GarbagePeer::on_refused(const std::string& status_line) {
  if (variant_ != 0) {
    FaultPeer::on_refused(status_line);
    return;
  }
  count("refused " + status_line.substr(9, 3));
}

void GarbagePeer::on_open() {
  if (variant_ == 0) {
    fail("garbage instead of a request was answered 101");
    return;
  }
  send_messages(1);
  std::string out;
  unsigned code = 1002;  // RFC 6455 7.4.1: protocol error
  switch (variant_) {
    case 1:  // RFC 6455 5.1: the server must close on an unmasked frame.
      out = std::string("\x81\x05hello", 7);
      break;
    case 2:  // RFC 6455 5.2: RSV1 without a negotiated extension.
      append_frame(out, op_text, true, "reserved", rng_.mask_key());
      out[0] = static_cast<char>(0xC1);
      break;
    case 3:  // RFC 6455 8.1: a text message must be UTF-8 (0xC3 0x28 is not).
      append_frame(out, op_text, true,
                   std::string("ab\xC3\x28"
                               "cd"),
                   rng_.mask_key());
      code = 1007;
      break;
    default:  // RFC 6455 5.2: opcode 3 is reserved.
      append_frame(out, op_text, true, "opcode", rng_.mask_key());
      out[0] = static_cast<char>(0x83);
      break;
  }
  const std::uint64_t n = rng_.between(0, 64);
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(static_cast<char>(rng_.next()));
  send(std::move(out));
  expect_server_close(close_deadline_ms, code);
}

}  // namespace soak
