#include "uvws/net/timer.h"

#include <uv.h>

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
    uv_timer_start(&timer_, &Handle::fire, ms, 0);
  }
  void stop() noexcept {
    uv_timer_stop(&timer_);
    callback_ = nullptr;
  }
  bool active() const noexcept {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(&timer_)) != 0;
  }

 private:
  static void fire(uv_timer_t* t) {
    auto& self = *static_cast<Handle*>(t->data);
    // Moved out first: the callback may start the timer again, or destroy the Timer.
    auto callback = std::move(self.callback_);
    self.callback_ = nullptr;
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
