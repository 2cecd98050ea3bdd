// The five kinds of faulty peer (see fault_peer.h for what each does and what it checks).
// reset, half_close and garbage are in faults_simple.cpp; stall and slow, which run on timers,
// in faults_timed.cpp.
#pragma once

#include "fault_peer.h"

namespace soak {

class ResetPeer final : public FaultPeer {
 public:
  ResetPeer(PeerHost& host, std::uint64_t key, std::uint64_t variant);

 private:
  void on_connected() override;
  void on_open() override;
  bool on_echo() override;
  void on_own_timer() override;
  std::uint64_t variant_;
};

class HalfClosePeer final : public FaultPeer {
 public:
  HalfClosePeer(PeerHost& host, std::uint64_t key, std::uint64_t variant);

 private:
  void on_connected() override;
  void on_open() override;
  bool on_echo() override;
  void shut();
  std::uint64_t variant_;
};

class GarbagePeer final : public FaultPeer {
 public:
  GarbagePeer(PeerHost& host, std::uint64_t key, std::uint64_t variant);

 private:
  void on_connected() override;
  void on_open() override;
  void on_refused(const std::string& status_line) override;
  std::uint64_t variant_;
};

class StallPeer final : public FaultPeer {
 public:
  StallPeer(PeerHost& host, std::uint64_t key, std::uint64_t variant);

 private:
  enum class Step { handshake, sending, holding, reading };
  void before_connect() override;
  void on_open() override;
  void on_own_timer() override;
  void on_server_gone(int status) override;
  bool on_close_frame(unsigned code) override;
  void on_end(int status) override;
  void top_up();
  std::uint64_t variant_;
  Step step_ = Step::handshake;
  std::uint64_t total_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t send_until_ = 0;
};

class SlowPeer final : public FaultPeer {
 public:
  SlowPeer(PeerHost& host, std::uint64_t key, Rng& rng);

 private:
  void on_connected() override;
  void on_open() override;
  bool on_echo() override;
  void on_refused(const std::string& status_line) override;
  void on_server_gone(int status) override;
  void on_own_timer() override;
  bool must_complete_;
  std::uint64_t duration_ms_;
  std::uint64_t pieces_;
  std::uint64_t sent_pieces_ = 0;
  std::uint64_t connected_ms_ = 0;
  std::uint64_t last_byte_ms_ = 0;
  bool closing_ = false;
};

}  // namespace soak
