// Clock: the time a Loop's timers run on, for tests and simulations; ManualClock: one that moves
// only when told to.
//
// What: by default (LoopOptions::clock == nullptr) a Loop's timers (its TimerWheels and its
// net::Timers) run on libuv's loop time. A Loop made with a Clock reads that clock instead, so a
// test can drive 30-second protocol timeouts in microseconds of wall time: advance a ManualClock
// by 30 s and the timers now due fire at once, exactly as they would have after 30 real seconds
// (same tick rounding, same order), and none fires before its deadline on that clock.
// How timers follow a clock: each schedule and each expiry check reads now_ms() once; libuv's
// timers still wake the loop after the equivalent real delay, which suits a clock that runs at
// real speed. A clock whose time jumps must wake its loops itself: ManualClock::advance() calls
// Loop::clock_advanced() on every loop made with it, which runs the timers now due on the loop
// thread (attach()/detach() below tell a clock which loops use it).
// Ownership: a clock is not owned by the loops that use it and must outlive them (more exactly:
// their Loop::close_all(), which detaches them). One clock may serve many loops (all loops of a
// Server).
// Threads: now_ms() is called from every loop thread that uses the clock, concurrently.
// ManualClock is thread-safe: any thread may advance it while loops read it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "uvws/core/export.h"

namespace uvws::net {

class Loop;

// The time a Loop's timers run on (LoopOptions::clock); the default is libuv's loop time.
class UVWS_EXPORT Clock {
 public:
  virtual ~Clock() = default;

  // Milliseconds since an origin of the clock's choosing; never decreases. Any thread.
  virtual std::uint64_t now_ms() const = 0;

  // Hooks for clocks that must wake their loops; the defaults do nothing. A Loop made with this
  // clock calls attach() from its constructor and detach() from close_all() (each on the loop's
  // owning thread), and loop_caught_up() on its own thread once it has run the timers due at
  // `now_ms` after a Loop::clock_advanced(), including what they did without waiting for I/O
  // (bytes written, connections closed, their close callbacks). Only attach() may throw (the
  // Loop constructor then fails).
  virtual void attach(Loop& /*loop*/) const {}
  // Called by a Loop's close_all() on the loop's owning thread.
  virtual void detach(Loop& /*loop*/) const noexcept {}
  // Called on a loop's thread once it ran the timers due at `now_ms` after clock_advanced().
  virtual void loop_caught_up(Loop& /*loop*/, std::uint64_t /*now_ms*/) const noexcept {}

 protected:
  Clock() = default;
  // For subclasses.
  Clock(const Clock&) = default;
  // For subclasses.
  Clock& operator=(const Clock&) = default;
};

// A clock that stands still until advance() moves it. For tests: make it, pass it as
// LoopOptions::clock (or ServerOptions::clock), advance it, and wait for the loops to catch up
// (wait_caught_up() from a thread that does not run one of those loops, or caught_up() polled
// between iterations by a thread that does).
// Lifetime: destroy it only after the loops that use it have closed (close_all() detaches them).
class UVWS_EXPORT ManualClock final : public Clock {
 public:
  // A clock that reads `start` until advanced.
  explicit ManualClock(std::chrono::milliseconds start = std::chrono::milliseconds(0));
  ~ManualClock() override = default;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  std::uint64_t now_ms() const noexcept override { return now_.load(std::memory_order_acquire); }

  // Moves the time forward by `by` and wakes every loop that uses this clock, which then fires
  // the timers now due on its own thread. Returns at once (it does not wait for the loops), so
  // it may be called on a loop thread too. Any thread. Throws std::invalid_argument if `by` is
  // negative: a clock never goes back.
  void advance(std::chrono::milliseconds by);

  // Whether every loop using this clock has caught up with now_ms() (Clock::loop_caught_up):
  // the timers due by now have fired and what they wrote is on its way. True with no loop.
  bool caught_up() const;
  // Blocks until caught_up() or until `timeout` of real time passed; returns caught_up(). Must
  // not be called on the thread of a loop that uses this clock (that loop could not run).
  bool wait_caught_up(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const;
  // Loops currently using this clock (attached and not yet closed).
  std::size_t loop_count() const;

  void attach(Loop& loop) const override;
  // Forgets `loop` (Clock::detach).
  void detach(Loop& loop) const noexcept override;
  // Records that `loop` caught up with `now_ms` (Clock::loop_caught_up).
  void loop_caught_up(Loop& loop, std::uint64_t now_ms) const noexcept override;

 private:
  struct Watch {
    Loop* loop;
    std::uint64_t seen_ms;  // the clock time whose timers this loop has run
  };
  bool caught_up_locked() const noexcept;

  std::atomic<std::uint64_t> now_;
  // The loops are bookkeeping about the clock's users, not its time: mutable so that a
  // const Clock* (what LoopOptions holds) can register them.
  mutable std::mutex mutex_;
  mutable std::condition_variable caught_up_cv_;
  mutable std::vector<Watch> loops_;  // guarded by mutex_
};

}  // namespace uvws::net
