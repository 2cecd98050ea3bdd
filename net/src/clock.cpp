#include "uvws/net/clock.h"

#include <algorithm>
#include <stdexcept>

#include "uvws/net/loop.h"

namespace uvws::net {

ManualClock::ManualClock(std::chrono::milliseconds start) {
  if (start.count() < 0) throw std::invalid_argument("uvws::net::ManualClock: negative start");
  now_.store(static_cast<std::uint64_t>(start.count()), std::memory_order_release);
}

void ManualClock::advance(std::chrono::milliseconds by) {
  if (by.count() < 0) throw std::invalid_argument("uvws::net::ManualClock::advance: negative");
  std::lock_guard<std::mutex> lock(mutex_);
  // Under the lock, so that a loop attaching now either reads the new time or is woken.
  now_.fetch_add(static_cast<std::uint64_t>(by.count()), std::memory_order_acq_rel);
  for (const Watch& w : loops_) w.loop->clock_advanced();
}

bool ManualClock::caught_up_locked() const noexcept {
  const std::uint64_t now = now_ms();
  return std::all_of(loops_.begin(), loops_.end(),
                     [now](const Watch& w) { return w.seen_ms >= now; });
}

bool ManualClock::caught_up() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return caught_up_locked();
}

bool ManualClock::wait_caught_up(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return caught_up_cv_.wait_for(lock, timeout, [this] { return caught_up_locked(); });
}

std::size_t ManualClock::loop_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loops_.size();
}

void ManualClock::attach(Loop& loop) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // A new loop has no timer older than now: it is caught up by definition.
  loops_.push_back({&loop, now_ms()});
}

void ManualClock::detach(Loop& loop) const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(loops_, [&](const Watch& w) { return w.loop == &loop; });
  // A closed loop no longer holds anyone back.
  caught_up_cv_.notify_all();
}

void ManualClock::loop_caught_up(Loop& loop, std::uint64_t now_ms) const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Watch& w : loops_) {
    if (w.loop == &loop && now_ms > w.seen_ms) w.seen_ms = now_ms;
  }
  caught_up_cv_.notify_all();
}

}  // namespace uvws::net
