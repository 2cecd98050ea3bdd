// TimerWheel: coarse timeouts for many objects on one uv_timer_t (a hashed timing wheel).
//
// What: every timed object embeds a TimerNode (32 bytes, no allocation); schedule, cancel and
// re-schedule are O(1) list operations, and touch() (an idle timeout's "activity seen") is two
// stores that leave the lists alone. Time advances in ticks (default 100 ms). Slot
// `deadline % slot_count` holds the nodes due in that tick or in a later round of the wheel, so a
// delay longer than the wheel's span (1024 ticks: 102.4 s at 100 ms) stays in its slot and costs
// one comparison per round until it is due.
// Precision: a node never fires early. It fires at the first tick boundary at or after its
// deadline, so at most one tick late (plus loop latency); a touched node at most two ticks late.
// Delays are capped at 2^30 ticks.
// Time: the Loop's clock (LoopOptions::clock; by default libuv's loop time, uv_now), read once
// per schedule, touch and tick. The uv_timer_t wakes the loop after the equivalent real delay;
// a clock that jumps (ManualClock) makes the Loop call on_tick() at once instead (clock.h).
// Ownership: the Loop owns the wheel of its connections; anyone may create more wheels on a Loop.
// A wheel does not own its nodes: an owner cancels its node before destroying it, and the wheel's
// destructor unlinks the nodes still scheduled. The wheel's one uv_timer_t runs only while a node
// is scheduled, so a loop with no timeouts never wakes up for them.
// Threads: loop thread only.
// Errors: none reported. An expiry callback that throws is logged and the other nodes still fire.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "uvws/core/export.h"

namespace uvws::net {

class Clock;
class Loop;

// The links of a circular doubly-linked list; a list head is a TimerLink pointing to itself.
// (Fields are named like members: TCPConnection inherits them privately, and plain names such as
// `next` would collide with names in its subclasses.)
struct UVWS_EXPORT TimerLink {
  TimerLink* prev_ = nullptr;  // nullptr: not in any list
  // The next link; nullptr: not in any list.
  TimerLink* next_ = nullptr;
};

// Embed one per timed object. The fields belong to the wheel while the node is scheduled.
// (The default member initializers also let a derived class pack its members into the 4 bytes
// of tail padding; TCPConnection relies on that to stay small.)
struct UVWS_EXPORT TimerNode : TimerLink {
  std::uint32_t deadline_ = 0;  // tick at which the node is due
  std::uint32_t period_ = 0;    // the scheduled delay in ticks, re-used by touch()
  std::uint32_t touched_ = 0;   // the node is due again at touched_ + period_
};

namespace detail {

class WheelTimer;

inline void list_init(TimerLink& head) noexcept {
  head.prev_ = head.next_ = &head;
}
inline bool list_empty(const TimerLink& head) noexcept {
  return head.next_ == &head;
}
inline void list_push_back(TimerLink& head, TimerLink& node) noexcept {
  node.prev_ = head.prev_;
  node.next_ = &head;
  head.prev_->next_ = &node;
  head.prev_ = &node;
}
inline void list_unlink(TimerLink& node) noexcept {
  node.prev_->next_ = node.next_;
  node.next_->prev_ = node.prev_;
  node.prev_ = node.next_ = nullptr;
}

}  // namespace detail

// A hashed timer wheel: O(1) schedule, cancel and touch for many connection timeouts on one
// uv_timer_t (see the file comment).
class UVWS_EXPORT TimerWheel {
 public:
  // Slots of the wheel; longer delays go round it more than once.
  static constexpr std::uint32_t slot_count = 1024;
  // The default tick (timeouts fire at most this late).
  static constexpr std::uint32_t default_tick_ms = 100;
  // The longest delay, in ticks.
  static constexpr std::uint32_t max_period_ticks = 1u << 30;
  // Called on the loop thread with a node that has just been unscheduled; the owner finds itself
  // from the node (e.g. by static_cast from a base class). It may schedule or cancel any node.
  using ExpireFn = std::function<void(TimerNode&)>;

  // Throws std::invalid_argument if tick_ms is 0.
  TimerWheel(Loop& loop, ExpireFn on_expire, std::uint32_t tick_ms = default_tick_ms);
  // Must not run inside this wheel's expiry callback.
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Schedules `node` to expire `ms` from now (at least one tick), or re-schedules it if it is
  // already scheduled on this wheel. Precondition: the node is in no other list.
  void schedule(TimerNode& node, std::uint32_t ms) noexcept;
  // Unschedules the node; no-op if it is not scheduled.
  void cancel(TimerNode& node) noexcept;
  // Postpones a scheduled node so that it expires its scheduled delay after now. O(1) and cheap
  // enough for every received message: the node stays in its slot and is moved only when its old
  // deadline comes. No-op on an unscheduled node. Inline: a connection touches on every read.
  void touch(TimerNode& node) noexcept {
    if (!scheduled(node)) return;
    // Rounded up so that touched + period is never before now + the delay.
    node.touched_ = static_cast<std::uint32_t>((elapsed_ms() + tick_ms_ - 1) / tick_ms_);
  }

  // True while `node` is scheduled on a wheel.
  static bool scheduled(const TimerNode& node) noexcept { return node.prev_ != nullptr; }
  // Scheduled nodes.
  std::size_t size() const noexcept { return size_; }
  // The tick in milliseconds.
  std::uint32_t tick_ms() const noexcept { return tick_ms_; }
  // Whether the wheel's uv_timer_t is active (it is exactly while a node is scheduled).
  bool running() const noexcept;

  // Calls f(TimerNode&) for every scheduled node; f must not change the wheel.
  template <class F>
  void for_each(F&& f) {
    for (std::uint32_t i = 0; i < slot_count; ++i) {
      for (TimerLink* l = slots_[i].next_; l != &slots_[i]; l = l->next_) {
        f(static_cast<TimerNode&>(*l));
      }
    }
  }

 private:
  friend class detail::WheelTimer;

  // The clock's time: without a clock (production) libuv's cached loop time, no virtual call,
  // as touch() on every received message needs; with one, one read of it (clock_now_ms).
  std::uint64_t now_ms() const noexcept { return clock_ == nullptr ? uv_now(uv_) : clock_now_ms(); }
  // clock_->now_ms(), out of line (Clock is only declared here).
  std::uint64_t clock_now_ms() const noexcept;
  // Milliseconds since tick 0.
  std::uint64_t elapsed_ms() const noexcept { return now_ms() - origin_ms_; }
  std::uint32_t tick_floor() const noexcept;
  TimerLink& slot(std::uint32_t tick) noexcept { return slots_[tick & (slot_count - 1)]; }
  void start_timer() noexcept;
  void on_tick() noexcept;
  void expire_slot(std::uint32_t index, std::uint32_t now) noexcept;

  uv_loop_t* uv_;       // the loop's libuv loop (Loop::uv()), for now_ms() inline
  const Clock* clock_;  // the loop's clock; nullptr: uv_now()
  ExpireFn on_expire_;
  std::uint32_t tick_ms_;
  std::uint32_t processed_ = 0;  // the last tick whose slot has been expired
  std::size_t size_ = 0;         // scheduled nodes
  bool in_tick_ = false;         // on_tick() is running: it re-arms the uv timer at its end
  std::uint64_t origin_ms_;      // now_ms() at construction: tick 0
  std::unique_ptr<TimerLink[]> slots_;
  detail::WheelTimer* timer_;  // owns the uv_timer_t; frees itself in its close callback
};

}  // namespace uvws::net
