// Timer: a one-shot timer on a Loop, for the few objects that are not connections (a client's
// reconnect backoff, its resolve timeout). Connections use their slot on the loop's TimerWheel.
//
// Ownership: the application owns the Timer; its libuv handle lives on the heap and deletes
// itself in its close callback, so destroying the Timer (or Loop::close_all(), whichever comes
// first) is always safe. Threads: the loop's thread only. A callback that throws is logged.
// Time: libuv's loop time, or the loop's clock (LoopOptions::clock) when it has one: then the
// callback runs once that clock has passed start + ms, never earlier on it, and right away when
// a ManualClock is advanced past the deadline (whatever real time has passed).
#pragma once

#include <cstdint>
#include <functional>

#include "uvws/core/export.h"

namespace uvws::net {

class Loop;

// A one-shot timer on a Loop (a uv_timer_t, or the loop's Clock), for timeouts outside connections.
class UVWS_EXPORT Timer {
 public:
  // A timer on `loop`, not started.
  explicit Timer(Loop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Calls `callback` once, `ms` from now, replacing any pending one. Does nothing once the
  // loop has closed the handle (close_all()).
  void start(std::uint64_t ms, std::function<void()> callback);
  // Cancels the pending callback; no-op when none.
  void stop() noexcept;
  // True while a callback is pending.
  bool active() const noexcept;

  class Handle;  // private to timer.cpp

 private:
  Handle* handle_;  // nullptr once closed
};

}  // namespace uvws::net
