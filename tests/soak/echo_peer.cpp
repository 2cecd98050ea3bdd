#include "echo_peer.h"

namespace soak {

namespace {

constexpr std::uint64_t handshake_deadline_ms = 30000;
constexpr std::uint64_t echo_deadline_ms = 30000;
constexpr std::uint64_t tcp_close_deadline_ms = 10000;

}  // namespace

EchoPeer::EchoPeer(PeerHost& host, std::uint64_t key, bool final_phase, std::uint64_t bursts)
    : Peer(host, key, final_phase ? "final" : "echo"),
      handshake_(host.options().host, host.options().port, key),
      conversation_(*this, key, false),
      final_phase_(final_phase),
      bursts_left_(bursts) {}

void EchoPeer::on_connected() {
  state_ = State::handshaking;
  send(handshake_.request());
  set_timer(handshake_deadline_ms);
}

void EchoPeer::on_bytes(std::span<const std::uint8_t> bytes) {
  if (state_ == State::handshaking) {
    std::string rest;
    const Handshake::Status status = handshake_.feed(bytes, rest);
    if (status == Handshake::Status::incomplete) return;
    host_.handshake_over(*this);
    if (status != Handshake::Status::accepted) {
      fail("handshake: " + handshake_.detail());
      return;
    }
    state_ = State::open;
    count("opened");
    if (draining_) {
      send_close(1000);
    } else {
      // The first burst at once, so that the final phase's peers are soon ready.
      send_burst();
    }
    if (!rest.empty() &&
        !conversation_.receive({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()})) {
      fail(conversation_.error());
    }
    return;
  }
  if (state_ == State::closed) {
    fail("bytes after the close handshake");
    return;
  }
  if (!conversation_.receive(bytes) && !finishing()) fail(conversation_.error());
}

bool EchoPeer::on_echo() {
  Stats& s = host_.stats();
  ++s.echoes;
  if (conversation_.in_flight() > 0 || state_ != State::open) return true;
  if (!was_ready_) {
    was_ready_ = true;
    if (final_phase_) host_.ready(*this);
  }
  if (bursts_left_ > 0 && --bursts_left_ == 0) {
    count("closed_by_itself");
    send_close(1000);
    return true;
  }
  schedule_burst();
  return true;
}

bool EchoPeer::on_ping(const std::string& payload) {
  // RFC 6455 5.5.2: answer with a pong carrying the same payload.
  std::string out;
  append_frame(out, op_pong, true, payload, rng_.mask_key());
  send(std::move(out));
  return true;
}

bool EchoPeer::on_close_frame(unsigned code) {
  if (state_ == State::closing) {
    // The answer to our close: everything sent before it must have been answered.
    if (code != 1000) {
      fail("close answered with " + std::to_string(code) + ", not 1000");
      return false;
    }
    if (conversation_.in_flight() > 0 || conversation_.pings_outstanding() > 0) {
      fail("close answered with " + std::to_string(conversation_.in_flight()) + " echoes and " +
           std::to_string(conversation_.pings_outstanding()) + " pongs missing");
      return false;
    }
    state_ = State::closed;
    count("closed_cleanly");
    set_timer(tcp_close_deadline_ms);
    return true;
  }
  if (!final_phase_) {
    fail("the server closed with " + std::to_string(code) + " during the soak");
    return false;
  }
  if (code != 1001) {
    fail("the server's shutdown closed with " + std::to_string(code) + ", not 1001");
    return false;
  }
  // Messages the server had not read yet when it stopped stay unanswered: it is going away.
  host_.stats().count("final.got_1001");
  host_.stats().count("final.unanswered_at_shutdown", conversation_.in_flight());
  std::string out;
  append_close(out, 1001, rng_.mask_key());
  send(std::move(out));
  state_ = State::closed;
  set_timer(tcp_close_deadline_ms);
  return true;
}

void EchoPeer::on_end(int status) {
  if (state_ == State::closed) {
    // The server closed TCP after the close handshake, as RFC 6455 7.1.1 asks.
    finish(false);
    return;
  }
  if (state_ == State::connecting || state_ == State::handshaking) host_.handshake_over(*this);
  fail(std::string("connection ended (") + uv_err_name(status) + ") in state " +
       std::to_string(static_cast<int>(state_)) + " with " +
       std::to_string(conversation_.in_flight()) + " echoes due");
}

void EchoPeer::on_timer() {
  switch (state_) {
    case State::connecting:
    case State::handshaking:
      host_.handshake_over(*this);
      fail("no handshake answer within 30 s");
      return;
    case State::open:
      if (conversation_.in_flight() > 0) {
        fail(std::to_string(conversation_.in_flight()) + " echoes missing after 30 s");
      } else {
        send_burst();
      }
      return;
    case State::closing:
      fail("no answer to the close frame within 30 s");
      return;
    case State::closed:
      fail("the server did not close TCP within 10 s of the close handshake");
      return;
  }
}

void EchoPeer::send_burst() {
  std::string out;
  const std::uint64_t n = rng_.between(1, 4);
  for (std::uint64_t i = 0; i < n; ++i) {
    // Mostly short messages, one in ten up to 8 KiB, one in a hundred up to 64 KiB.
    const std::uint64_t r = rng_.next() % 100;
    const std::size_t len = r < 89   ? rng_.between(1, 200)
                            : r < 99 ? rng_.between(201, 8192)
                                     : rng_.between(8193, 65536);
    conversation_.append_message(out, rng_, len);
    if (rng_.chance(3)) conversation_.append_ping(out, rng_);
  }
  host_.stats().messages_sent += n;
  send(std::move(out));
  set_timer(echo_deadline_ms);
}

void EchoPeer::schedule_burst() {
  // The final phase's peers talk three times less: traffic is still in flight at the SIGTERM,
  // and their ramp (the whole set of connections at once) is not slowed by a soak's load.
  const std::uint64_t mean = host_.options().interval_ms * (final_phase_ ? 3 : 1);
  set_timer(rng_.between(mean / 2, mean + mean / 2));
}

void EchoPeer::send_close(unsigned code) {
  std::string out;
  append_close(out, code, rng_.mask_key());
  send(std::move(out));
  state_ = State::closing;
  set_timer(echo_deadline_ms);
}

void EchoPeer::drain() {
  draining_ = true;
  if (state_ == State::open) send_close(1000);
}

}  // namespace soak
