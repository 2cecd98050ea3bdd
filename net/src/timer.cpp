#include "uvws/net/timer.h"

#include <uv.h>

#include <cstdint>
#include <exception>
#include <utility>

#include "uvws/core/log.h"
#include "uvws/net/loop.h"

namespace uvws::net {

// The heap side of a Timer: the uv_timer_t and the callback. Deleted in its close callback.
class Timer::Handle final : public detail::OwnedHandle {
 public:
  Handle(Loop& loop, Timer& owner) : OwnedHandle(loop), owner_(&owner) {
    uv_timer_init(loop.uv(), &timer_);  // cannot fail
    timer_.data = this;
  }

  void close() noexcept override {
    if (closing_) return;
    closing_ = true;
    if (owner_ != nullptr) owner_->handle_ = nullptr;
    owner_ = nullptr;
    callback_ = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
  }

  void start(std::uint64_t ms, std::function<void()> callback) {
    callback_ = std::move(callback);
    if (const Clock* clock = owner_loop_.clock()) {
      const std::uint64_t now = clock->now_ms();
      deadline_ = ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
    }
    uv_timer_start(&timer_, &Handle::fire, ms, 0);
  }
  void stop() noexcept {
    uv_timer_stop(&timer_);
    callback_ = nullptr;
  }
  bool active() const noexcept {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(&timer_)) != 0;
  }

  // The clock jumped (a ManualClock): fire now if the deadline has passed on it.
  void clock_advanced() noexcept override {
    if (closing_ || !active() || owner_loop_.clock()->now_ms() < deadline_) return;
    uv_timer_stop(&timer_);
    run();
  }

 private:
  static void fire(uv_timer_t* t) {
    auto& self = *static_cast<Handle*>(t->data);
    if (const Clock* clock = self.owner_loop_.clock()) {
      // The real delay has passed; the clock decides. A clock that runs slower than real time
      // (or stands still) makes the timer wait for what remains on it.
      const std::uint64_t now = clock->now_ms();
      if (now < self.deadline_) {
        uv_timer_start(t, &Handle::fire, self.deadline_ - now, 0);
        return;
      }
    }
    self.run();
  }

  // Runs the callback; `this` stays valid (it is deleted only in its close callback).
  void run() noexcept {
    // Moved out first: the callback may start the timer again, or destroy the Timer.
    auto callback = std::move(callback_);
    callback_ = nullptr;
    if (!callback) return;
    try {
      callback();
    } catch (const std::exception& e) {
      core::log(core::Layer::net).error("timer callback threw: {}", e.what());
    } catch (...) {
      core::log(core::Layer::net).error("timer callback threw a non-std exception");
    }
  }

  uv_timer_t timer_{};
  Timer* owner_;
  std::function<void()> callback_;
  std::uint64_t deadline_ = 0;  // on the loop's clock, when it has one
  bool closing_ = false;
};

Timer::Timer(Loop& loop) : handle_(new Handle(loop, *this)) {}

Timer::~Timer() {
  if (handle_ != nullptr) handle_->close();
}

void Timer::start(std::uint64_t ms, std::function<void()> callback) {
  if (handle_ != nullptr) handle_->start(ms, std::move(callback));
}

void Timer::stop() noexcept {
  if (handle_ != nullptr) handle_->stop();
}

bool Timer::active() const noexcept {
  return handle_ != nullptr && handle_->active();
}

}  // namespace uvws::net
