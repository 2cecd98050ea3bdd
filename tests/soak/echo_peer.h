// EchoPeer: a well-behaved client. It completes the opening handshake, then sends bursts of
// 1 to 4 text messages (mostly short, some up to 64 KiB, some fragmented, some with pings) and
// waits for every echo before pausing and sending the next burst. Every echo must come back
// whole and in order (Conversation checks it).
//
// It ends in one of three ways: drain() (the soak is over, or the peer's own life is over)
// sends a close frame with 1000 after its last message, and every echo and pong must arrive
// before the server's answer to it, then the server closes TCP (RFC 6455 7.1.1); in the final
// phase, the server's shutdown sends 1001 ("going away", RFC 6455 7.4.1), which the peer
// answers; anything else (the server closing first during the soak, an echo missing for 30 s,
// no TCP close 10 s after the close handshake) is a failure.
#pragma once

#include <optional>

#include "conversation.h"
#include "peer.h"
#include "wire.h"

namespace soak {

class EchoPeer final : public Peer, private Conversation::Owner {
 public:
  // `final_phase`: the server is to be stopped under this peer. `bursts`: the peer closes
  // itself after that many bursts (0: only when drained).
  EchoPeer(PeerHost& host, std::uint64_t key, bool final_phase, std::uint64_t bursts);
  ~EchoPeer() override { host_.stats().pongs += conversation_.pongs(); }

  void drain() override;

 private:
  enum class State { connecting, handshaking, open, closing, closed };

  void on_connected() override;
  void on_bytes(std::span<const std::uint8_t> bytes) override;
  void on_end(int status) override;
  void on_timer() override;

  bool on_echo() override;
  bool on_ping(const std::string& payload) override;
  bool on_close_frame(unsigned code) override;

  void send_burst();
  void send_close(unsigned code);
  void schedule_burst();

  Handshake handshake_;
  Conversation conversation_;
  State state_ = State::connecting;
  bool final_phase_;
  bool draining_ = false;
  bool was_ready_ = false;
  std::uint64_t bursts_left_;
};

}  // namespace soak
