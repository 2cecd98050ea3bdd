#include "fault_peer.h"

#include <vector>

#include "fault_kinds.h"

namespace soak {

Peer* make_fault_peer(PeerHost& host, std::uint64_t key, Rng& rng) {
  static const char* const kinds[] = {"reset", "half_close", "stall", "garbage", "slow"};
  std::vector<int> enabled;
  for (int i = 0; i < 5; ++i) {
    if (("," + host.options().faults + ",").find(std::string(",") + kinds[i] + ",") !=
        std::string::npos) {
      enabled.push_back(i);
    }
  }
  if (enabled.empty()) enabled = {0, 1, 2, 3, 4};
  switch (enabled[rng.next() % enabled.size()]) {
    case 0:
      return new ResetPeer(host, key, rng.next() % 4);
    case 1:
      return new HalfClosePeer(host, key, rng.next() % 4);
    case 2:
      return new StallPeer(host, key, rng.next() % 2);
    case 3:
      return new GarbagePeer(host, key, rng.next() % 5);
    default:
      return new SlowPeer(host, key, rng);
  }
}

FaultPeer::FaultPeer(PeerHost& host, std::uint64_t key, const char* kind, bool allow_drops)
    : Peer(host, key, kind),
      handshake_(host.options().host, host.options().port, key),
      conversation_(*this, key, allow_drops) {}

void FaultPeer::drain() {
  count("reset_at_drain");
  finish(true);
}

void FaultPeer::on_connected() {
  // A faulty peer gives its connect window place back once connected: its handshake may
  // never end, and the window only keeps the server's accept queue short.
  host_.handshake_over(*this);
  started_ms_ = now();
  send(handshake_.request());
}

void FaultPeer::on_bytes(std::span<const std::uint8_t> bytes) {
  if (!open_) {
    std::string rest;
    switch (handshake_.feed(bytes, rest)) {
      case Handshake::Status::incomplete:
        return;
      case Handshake::Status::refused:
        on_refused(handshake_.detail());
        return;
      case Handshake::Status::invalid:
        fail("handshake: " + handshake_.detail());
        return;
      case Handshake::Status::accepted:
        break;
    }
    open_ = true;
    on_open();
    if (finishing() || rest.empty()) return;
    bytes = {reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()};
    if (!conversation_.receive(bytes) && !finishing()) fail(conversation_.error());
    return;
  }
  if (!conversation_.receive(bytes) && !finishing()) fail(conversation_.error());
}

void FaultPeer::on_refused(const std::string& status_line) {
  fail("handshake refused: " + status_line);
}

void FaultPeer::on_server_gone(int status) {
  fail(std::string("the server ended the connection (") + uv_err_name(status) + ")");
}

void FaultPeer::on_end(int status) {
  if (awaiting_close_) {
    count(std::string("server_closed (") + uv_err_name(status) + ")");
    finish(false);
    return;
  }
  on_server_gone(status);
  if (!finishing()) finish(false);
}

void FaultPeer::on_timer() {
  if (awaiting_close_) {
    fail("the server kept the connection open " + std::to_string(now() - started_ms_) +
         " ms after its fault");
    return;
  }
  on_own_timer();
}

void FaultPeer::on_own_timer() {
  if (conversation_.in_flight() > 0) {
    fail(std::to_string(conversation_.in_flight()) + " echoes missing at the deadline");
  }
}

bool FaultPeer::on_echo() {
  ++host_.stats().echoes;
  return true;
}

bool FaultPeer::on_ping(const std::string& payload) {
  std::string out;
  append_frame(out, op_pong, true, payload, rng_.mask_key());
  send(std::move(out));
  return true;
}

bool FaultPeer::on_close_frame(unsigned code) {
  count("close_code_" + std::to_string(code));
  if (expected_code_ != 0 && code != expected_code_) {
    fail("closed with " + std::to_string(code) + ", expected " + std::to_string(expected_code_));
    return false;
  }
  if (conversation_.in_flight() > 0) {
    fail("closed with " + std::to_string(conversation_.in_flight()) +
         " echoes of earlier messages missing");
    return false;
  }
  return true;
}

void FaultPeer::expect_server_close(std::uint64_t ms, unsigned code) {
  awaiting_close_ = true;
  expected_code_ = code;
  started_ms_ = now();
  set_timer(ms);
}

void FaultPeer::send_messages(std::uint64_t n) {
  std::string out;
  for (std::uint64_t i = 0; i < n; ++i)
    conversation_.append_message(out, rng_, rng_.between(1, 300));
  host_.stats().messages_sent += n;
  send(std::move(out));
}

}  // namespace soak
