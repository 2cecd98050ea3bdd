#include "timeouts.h"

#include <algorithm>

namespace uvws::detail {

std::uint32_t timer_ms(std::chrono::milliseconds d) {
  return static_cast<std::uint32_t>(
      std::clamp<std::chrono::milliseconds::rep>(d.count(), 0, 0x7FFFFFFF));
}

namespace {

// The earlier of two delays where 0 means off.
std::chrono::milliseconds earliest(std::chrono::milliseconds a, std::chrono::milliseconds b) {
  if (b.count() > 0 && (a.count() == 0 || b < a)) return b;
  return a;
}

}  // namespace

std::uint32_t Keepalive::open_delay(const ConnectionSettings& s, bool compressing) {
  auto wait = earliest(s.idle_timeout, s.ping_interval);
  if (compressing) wait = earliest(wait, s.compression_idle_release);
  return timer_ms(wait);
}

Keepalive::Expiry Keepalive::expired(const ConnectionSettings& s, std::uint32_t& next_delay,
                                     bool compressing) {
  next_delay = 0;
  if (ping_sent_) return Expiry::no_pong;
  const auto keepalive = earliest(s.idle_timeout, s.ping_interval);
  const auto release = s.compression_idle_release;
  if (compressing && !released_ && release.count() > 0 &&
      (keepalive.count() == 0 || release < keepalive)) {
    released_ = true;
    next_delay = keepalive.count() == 0 ? 0 : timer_ms(keepalive - release);
    return Expiry::release_compression;
  }
  if (s.ping_interval.count() <= 0) return Expiry::idle;
  ping_sent_ = true;
  next_delay = timer_ms(s.idle_timeout > s.ping_interval ? s.idle_timeout - s.ping_interval
                                                         : s.ping_interval);
  return Expiry::send_ping;
}

}  // namespace uvws::detail
