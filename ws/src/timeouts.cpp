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

// Microseconds on the steady clock, 48 bits of them (8.9 years: wraps are handled below).
std::uint64_t now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count()) &
         0xFFFF'FFFF'FFFFu;
}

constexpr std::uint8_t tag[2] = {'u', 'k'};  // "uvws keepalive"

}  // namespace

Keepalive::PingPayload Keepalive::ping_payload() {
  PingPayload p{tag[0], tag[1]};
  const std::uint64_t t = now_us();
  for (std::size_t i = 0; i < 6; ++i) p[2 + i] = static_cast<std::uint8_t>(t >> (8 * (5 - i)));
  return p;
}

std::optional<std::uint64_t> Keepalive::round_trip_us(std::span<const std::uint8_t> pong) {
  if (pong.size() != 8 || pong[0] != tag[0] || pong[1] != tag[1]) return std::nullopt;
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < 6; ++i) sent = (sent << 8) | pong[2 + i];
  const std::uint64_t rtt = (now_us() - sent) & 0xFFFF'FFFF'FFFFu;
  // A pong from the future, or older than any ping we still wait for, is not ours.
  if (rtt > 60'000'000) return std::nullopt;
  return rtt;
}

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
