// LoopLag: how late a loop runs its work, measured as Node's event-loop delay monitor does: a
// timer due every 100 ms records, each time it fires, how long after its due time it ran
// (a loop busy with other work delays everything on it by as much). Private to ws/src.
//
// Ownership: one per server loop (LoopContext), made by Server::listen() on the owning thread;
// its net::Timer is closed by stop() or by the loop's close_all(). Threads: the loop's.
#pragma once

#include <chrono>
#include <cstdint>

#include "loop_metrics.h"
#include "uvws/net/loop.h"
#include "uvws/net/timer.h"

namespace uvws::detail {

class LoopLag {
 public:
  // Starts ticking on `loop`, recording into `metrics.loop_lag`.
  LoopLag(net::Loop& loop, LoopMetrics& metrics);
  // Stops ticking (a pending tick would keep the loop running).
  void stop() noexcept { timer_.stop(); }

  static constexpr std::uint32_t interval_ms = 100;

 private:
  void schedule();

  net::Timer timer_;
  LoopMetrics& metrics_;
  // Measured on the steady clock, not the loop's: the loop's time is cached once per
  // iteration (and may be a test's manual clock).
  std::chrono::steady_clock::time_point due_;
};

}  // namespace uvws::detail
