#include "loop_lag.h"

namespace uvws::detail {

LoopLag::LoopLag(net::Loop& loop, LoopMetrics& metrics) : timer_(loop), metrics_(metrics) {
  schedule();
}

void LoopLag::schedule() {
  due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
  timer_.start(interval_ms, [this] {
    const auto late = std::chrono::steady_clock::now() - due_;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(late).count();
    metrics_.loop_lag.observe(micros > 0 ? static_cast<std::uint64_t>(micros) : 0);
    schedule();
  });
}

}  // namespace uvws::detail
