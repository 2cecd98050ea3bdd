#include "uvws/net/timer_wheel.h"

#include <stdexcept>

#include "detail.h"
#include "uvws/net/loop.h"

namespace uvws::net {
namespace detail {

// The wheel's uv_timer_t lives in its own heap object so that the wheel can be destroyed at any
// time: the handle's memory must stay valid until its close callback.
class WheelTimer final : public OwnedHandle {
 public:
  WheelTimer(Loop& loop, TimerWheel& wheel) : OwnedHandle(loop), wheel_(&wheel) {
    uv_timer_init(loop.uv(), &timer_);  // cannot fail
    timer_.data = this;
  }

  void close() noexcept override {
    if (closing_) return;
    closing_ = true;
    if (wheel_ != nullptr) wheel_->timer_ = nullptr;
    wheel_ = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
             [](uv_handle_t* h) { delete static_cast<WheelTimer*>(h->data); });
  }

  void start(std::uint64_t timeout_ms) noexcept {
    uv_timer_start(&timer_, &WheelTimer::timer_cb, timeout_ms, 0);
  }
  void stop() noexcept { uv_timer_stop(&timer_); }
  bool active() const noexcept {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(&timer_)) != 0;
  }

  // The loop's clock jumped (a ManualClock): expire what is due now instead of at the next real
  // tick. Never inside on_tick(): the clock's wakeup is a posted task.
  void clock_advanced() noexcept override {
    if (wheel_ != nullptr && wheel_->size_ > 0 && !wheel_->in_tick_) wheel_->on_tick();
  }

 private:
  static void timer_cb(uv_timer_t* t) {
    auto* self = static_cast<WheelTimer*>(t->data);
    if (self->wheel_ != nullptr) self->wheel_->on_tick();
  }

  uv_timer_t timer_{};
  TimerWheel* wheel_;
  bool closing_ = false;
};

}  // namespace detail

namespace {

// Wrap-around safe "tick a is at or before tick b" (valid while they are < 2^31 ticks apart).
bool at_or_before(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b) <= 0;
}

}  // namespace

TimerWheel::TimerWheel(Loop& loop, ExpireFn on_expire, std::uint32_t tick_ms)
    : uv_(loop.uv()), clock_(loop.clock()), on_expire_(std::move(on_expire)), tick_ms_(tick_ms) {
  if (tick_ms == 0) throw std::invalid_argument("uvws::net::TimerWheel: tick_ms must be > 0");
  origin_ms_ = now_ms();
  slots_ = std::make_unique<TimerLink[]>(slot_count);
  for (std::uint32_t i = 0; i < slot_count; ++i) detail::list_init(slots_[i]);
  timer_ = new detail::WheelTimer(loop, *this);
}

TimerWheel::~TimerWheel() {
  // Leave no node pointing into the freed slots.
  for (std::uint32_t i = 0; i < slot_count; ++i) {
    while (!detail::list_empty(slots_[i])) detail::list_unlink(*slots_[i].next_);
  }
  if (timer_ != nullptr) timer_->close();
}

bool TimerWheel::running() const noexcept {
  return timer_ != nullptr && timer_->active();
}

std::uint64_t TimerWheel::clock_now_ms() const noexcept {
  return clock_->now_ms();
}

std::uint32_t TimerWheel::tick_floor() const noexcept {
  return static_cast<std::uint32_t>(elapsed_ms() / tick_ms_);
}

void TimerWheel::schedule(TimerNode& node, std::uint32_t ms) noexcept {
  const std::uint64_t now = elapsed_ms();
  const std::uint64_t max_ms = std::uint64_t{max_period_ticks} * tick_ms_;
  const std::uint64_t delay = ms < max_ms ? ms : max_ms;
  // Due at the first tick boundary at or after now + delay, and never in the current tick.
  std::uint64_t deadline = (now + delay + tick_ms_ - 1) / tick_ms_;
  if (deadline <= now / tick_ms_) deadline = now / tick_ms_ + 1;
  std::uint64_t period = (delay + tick_ms_ - 1) / tick_ms_;
  if (period == 0) period = 1;
  node.deadline_ = static_cast<std::uint32_t>(deadline);
  node.period_ = static_cast<std::uint32_t>(period);
  node.touched_ = node.deadline_ - node.period_;  // untouched: touched + period == deadline

  if (scheduled(node)) {
    detail::list_unlink(node);
  } else {
    ++size_;
  }
  detail::list_push_back(slot(node.deadline_), node);
  if (size_ == 1 && !in_tick_) start_timer();
}

void TimerWheel::cancel(TimerNode& node) noexcept {
  if (!scheduled(node)) return;
  detail::list_unlink(node);
  --size_;
  if (size_ == 0 && !in_tick_ && timer_ != nullptr) timer_->stop();
}

void TimerWheel::start_timer() noexcept {
  if (timer_ == nullptr) return;
  processed_ = tick_floor();
  // Fire on tick boundaries (not `tick` after an arbitrary start) so that lateness stays below
  // one tick; the timer is one-shot and re-armed per tick to avoid a repeating timer's drift.
  timer_->start(tick_ms_ - elapsed_ms() % tick_ms_);
}

void TimerWheel::on_tick() noexcept {
  const std::uint32_t now = tick_floor();
  std::uint32_t steps = now - processed_;
  // After a long stall every slot is visited once; each node's own deadline decides.
  if (steps > slot_count) steps = slot_count;
  in_tick_ = true;
  std::uint32_t tick = processed_;
  for (std::uint32_t i = 0; i < steps && size_ > 0; ++i) {
    ++tick;
    expire_slot(tick & (slot_count - 1), now);
  }
  processed_ = now;
  in_tick_ = false;
  if (timer_ == nullptr) return;
  if (size_ > 0) {
    timer_->start(tick_ms_ - elapsed_ms() % tick_ms_);
  } else {
    timer_->stop();
  }
}

void TimerWheel::expire_slot(std::uint32_t index, std::uint32_t now) noexcept {
  TimerLink& head = slots_[index];
  if (detail::list_empty(head)) return;
  // Move the slot's nodes to a local list first: callbacks may cancel or re-schedule any node,
  // including those still waiting here, and unlinking works the same in either list.
  TimerLink pending;
  pending.next_ = head.next_;
  pending.prev_ = head.prev_;
  pending.next_->prev_ = &pending;
  pending.prev_->next_ = &pending;
  detail::list_init(head);

  while (!detail::list_empty(pending)) {
    auto& node = static_cast<TimerNode&>(*pending.next_);
    detail::list_unlink(node);
    if (!at_or_before(node.deadline_, now)) {  // a later round of the wheel
      detail::list_push_back(head, node);
      continue;
    }
    const std::uint32_t again = node.touched_ + node.period_;
    if (!at_or_before(again, now)) {  // touched since scheduled: due later
      node.deadline_ = again;
      detail::list_push_back(slot(again), node);
      continue;
    }
    --size_;
    detail::guarded("TimerWheel expiry", [&] { on_expire_(node); });
  }
}

}  // namespace uvws::net
