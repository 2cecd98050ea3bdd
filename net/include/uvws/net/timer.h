// Timer: a one-shot timer on a Loop, for the few objects that are not connections (a client's
// reconnect backoff, its resolve timeout). Connections use their slot on the loop's TimerWheel.
//
// Ownership: the application owns the Timer; its libuv handle lives on the heap and deletes
// itself in its close callback, so destroying the Timer (or Loop::close_all(), whichever comes
// first) is always safe. Threads: the loop's thread only. A callback that throws is logged.
#pragma once

#include <cstdint>
#include <functional>

namespace uvws::net {

class Loop;

class Timer {
 public:
  explicit Timer(Loop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Calls `callback` once, `ms` from now, replacing any pending one. Does nothing once the
  // loop has closed the handle (close_all()).
  void start(std::uint64_t ms, std::function<void()> callback);
  void stop() noexcept;
  bool active() const noexcept;

  class Handle;  // private to timer.cpp

 private:
  Handle* handle_;  // nullptr once closed
};

}  // namespace uvws::net
