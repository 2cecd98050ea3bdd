#include "timeouts.h"

#include <algorithm>

namespace uvws::detail {

std::uint32_t timer_ms(std::chrono::milliseconds d) {
  return static_cast<std::uint32_t>(
      std::clamp<std::chrono::milliseconds::rep>(d.count(), 0, 0x7FFFFFFF));
}

std::uint32_t Keepalive::open_delay(const ConnectionSettings& s) {
  auto wait = s.idle_timeout;
  if (s.ping_interval.count() > 0 && (wait.count() == 0 || s.ping_interval < wait)) {
    wait = s.ping_interval;
  }
  return timer_ms(wait);
}

Keepalive::Expiry Keepalive::expired(const ConnectionSettings& s, std::uint32_t& next_delay) {
  next_delay = 0;
  if (ping_sent_) return Expiry::no_pong;
  if (s.ping_interval.count() <= 0) return Expiry::idle;
  ping_sent_ = true;
  next_delay = timer_ms(s.idle_timeout > s.ping_interval ? s.idle_timeout - s.ping_interval
                                                         : s.ping_interval);
  return Expiry::send_ping;
}

}  // namespace uvws::detail
