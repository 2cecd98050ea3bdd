// The faulty peers of the soak, and what they share (FaultPeer): the opening handshake, the
// echo check of whatever messages they send (Conversation), and "the server must close this
// connection within a deadline" (expect_server_close). Each kind picks one of its variants at
// random; the counters are named "<kind>.<variant>" and "<kind>.<outcome>".
//
//   reset       an RST (SO_LINGER 0) on connect, in the middle of the request, with echoes in
//               flight, or after some echoes
//   half_close  a FIN (shutdown) in the middle of the request, after echoes, in the middle of
//               a frame, or after a close frame; the server must then close within 12 s
//   stall       a tiny receive buffer and no reading while sending 1 to 8 MiB in 3 s, then
//               up to 4 s more of silence;
//               then an RST, or reading again: the echoes that come may be fewer (the server's
//               backpressure policy drops) but whole and in order, and the close handshake
//               must still work
//   garbage     bytes that are not HTTP instead of the request, or after the handshake an
//               unmasked frame, reserved bits, a reserved opcode or invalid UTF-8: the server
//               must close (RFC 6455 7.4.1: 1002, or 1007 for the UTF-8)
//   slow        the request a few bytes at a time, finished either well before the server's
//               handshake timeout (it must then be answered 101 and echo) or well after it (the
//               server must cut it)
#pragma once

#include <string>

#include "conversation.h"
#include "peer.h"
#include "wire.h"

namespace soak {

// A faulty peer of a kind and variant chosen with `rng`.
Peer* make_fault_peer(PeerHost& host, std::uint64_t key, Rng& rng);

class FaultPeer : public Peer, protected Conversation::Owner {
 public:
  FaultPeer(PeerHost& host, std::uint64_t key, const char* kind, bool allow_drops = false);
  ~FaultPeer() override { host_.stats().pongs += conversation_.pongs(); }

  // The soak is over: whatever this peer was doing, it resets.
  void drain() override;

 protected:
  // The handshake was accepted; the bytes after the answer go to the conversation.
  virtual void on_open() = 0;
  // The server answered the request with something else than 101.
  virtual void on_refused(const std::string& status_line);
  // The server ended the connection (EOF or reset) while no close was expected.
  virtual void on_server_gone(int status);
  // A timer this class did not set fired. By default it is an echo deadline: echoes still
  // missing fail the peer.
  virtual void on_own_timer();

  void on_connected() override;
  void on_bytes(std::span<const std::uint8_t> bytes) override;
  void on_end(int status) override;
  void on_timer() override;

  bool on_echo() override;
  bool on_ping(const std::string& payload) override;
  bool on_close_frame(unsigned code) override;

  // The server must end the connection within `ms`; a close frame before that, if any, must
  // carry `code` (0: any code).
  void expect_server_close(std::uint64_t ms, unsigned code);
  // Sends `n` short messages.
  void send_messages(std::uint64_t n);

  Handshake handshake_;
  Conversation conversation_;
  bool open_ = false;
  bool awaiting_close_ = false;
  unsigned expected_code_ = 0;
  std::uint64_t started_ms_ = 0;
};

}  // namespace soak
