// Soak: the phases of the soak test, over one libuv loop.
//
//   ramp      fault_percent of the slots are faulty, the others get a well-behaved peer each
//             (at most connect_window handshakes under way at once)
//   soak      for `seconds`: the faulty slots start (over its first 3 s), and a peer that
//             ends is replaced in its slot (a faulty slot draws a new fault; one well-behaved
//             peer in ten closes itself after 5 to 30 bursts)
//   drain     well-behaved peers close cleanly (every echo before the close answer), faulty
//             ones reset
//   settle    the server's descriptors must come back to their count before the first
//             connection (polled every 100 ms, 20 s at most)
//   final     a fresh well-behaved peer in every slot; once each has had an echo, the server
//             gets SIGTERM and every one of them must receive a close frame with 1001
// The server's RSS is sampled every 100 ms throughout; its peak must stay under max_rss_mib.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "options.h"
#include "peer.h"
#include "server_probe.h"
#include "stats.h"

namespace soak {

class Soak final : public PeerHost {
 public:
  explicit Soak(Options options);
  ~Soak();
  // Runs every phase; returns the process exit status (0: every check passed).
  int run();

  uv_loop_t* loop() override { return &loop_; }
  const sockaddr_in& server() const override { return addr_; }
  const Options& options() const override { return options_; }
  Stats& stats() override { return stats_; }
  void handshake_over(Peer& peer) override;
  void ready(Peer& peer) override;
  void closed(Peer& peer) override;

 private:
  enum class Phase { ramp, soak, drain, settle, final, shutdown, done };

  static void on_sample(uv_timer_t* timer);
  static void on_phase(uv_timer_t* timer);
  void sample();
  void pump();
  void spawn(std::size_t slot);
  void enter(Phase phase);
  void maybe_stop_server();
  void report();
  std::uint64_t elapsed_ms() const;
  static const char* name(Phase phase);

  Options options_;
  uv_loop_t loop_{};
  sockaddr_in addr_{};
  Stats stats_;
  ServerProbe probe_;
  Rng rng_;
  Phase phase_ = Phase::ramp;

  std::vector<Peer*> slots_;
  std::vector<bool> faulty_;
  std::vector<bool> slots_first_;
  std::deque<std::size_t> pending_;
  std::deque<std::size_t> faulty_to_start_;  // the soak phase starts them a few at a time
  std::size_t start_per_sample_ = 0;
  std::size_t window_used_ = 0;
  std::size_t ramp_left_ = 0;  // first peers of the ramp whose handshake is not over
  std::size_t live_ = 0;
  std::size_t final_ready_ = 0;
  std::size_t final_gone_ = 0;
  std::uint64_t next_key_ = 1;
  std::uint64_t peers_spawned_ = 0;

  uv_timer_t sample_timer_{};
  uv_timer_t phase_timer_{};
  std::uint64_t start_ms_ = 0;
  std::uint64_t phase_ms_ = 0;
  std::vector<std::pair<const char*, std::uint64_t>> phase_log_;

  std::size_t fd_baseline_ = 0;
  std::size_t fd_peak_ = 0;
  std::size_t fd_settled_ = 0;
  std::size_t rss_baseline_kib_ = 0;
  std::size_t rss_peak_kib_ = 0;
  std::size_t rss_before_final_kib_ = 0;
  // The longest gap between two samples beyond their 100 ms: how late this client's own
  // timers ran (its loop is busy with every peer at once).
  std::uint64_t last_sample_ns_ = 0;
  std::uint64_t max_lag_ms_ = 0;
};

}  // namespace soak
