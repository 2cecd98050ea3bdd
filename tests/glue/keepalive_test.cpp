// Keepalive and timer delays (ws/src/timeouts.h) as values: no loop, no socket, no clock.
#include <catch2/catch.hpp>
#include <chrono>

#include "timeouts.h"

using uvws::detail::ConnectionSettings;
using uvws::detail::Keepalive;
using uvws::detail::timer_ms;
using Ms = std::chrono::milliseconds;

namespace {

ConnectionSettings settings(Ms idle, Ms ping) {
  ConnectionSettings s;
  s.idle_timeout = idle;
  s.ping_interval = ping;
  return s;
}

}  // namespace

TEST_CASE("the open timer waits for the ping interval or the idle timeout, whichever is first",
          "[glue][timeouts]") {
  CHECK(Keepalive::open_delay(settings(Ms(0), Ms(0))) == 0);  // both off: disarmed
  CHECK(Keepalive::open_delay(settings(Ms(30000), Ms(0))) == 30000);
  CHECK(Keepalive::open_delay(settings(Ms(0), Ms(5000))) == 5000);
  CHECK(Keepalive::open_delay(settings(Ms(30000), Ms(5000))) == 5000);
  CHECK(Keepalive::open_delay(settings(Ms(3000), Ms(5000))) == 3000);
}

TEST_CASE("without a ping interval, the open timer's expiry is the idle timeout",
          "[glue][timeouts]") {
  Keepalive k;
  std::uint32_t next = 99;
  CHECK(k.expired(settings(Ms(30000), Ms(0)), next) == Keepalive::Expiry::idle);
  CHECK(next == 0);
  CHECK_FALSE(k.ping_sent());
}

TEST_CASE("a silent peer is pinged, then given the rest of the idle timeout", "[glue][timeouts]") {
  const auto s = settings(Ms(30000), Ms(10000));
  Keepalive k;
  std::uint32_t next = 0;
  REQUIRE(k.expired(s, next) == Keepalive::Expiry::send_ping);
  CHECK(next == 20000);  // 30 s idle - 10 s already waited
  CHECK(k.ping_sent());
  // Still silent when that runs out: the keepalive ends the connection.
  CHECK(k.expired(s, next) == Keepalive::Expiry::no_pong);
  CHECK(next == 0);
}

TEST_CASE("with an idle timeout not longer than the interval, a ping waits one more interval",
          "[glue][timeouts]") {
  Keepalive k;
  std::uint32_t next = 0;
  REQUIRE(k.expired(settings(Ms(0), Ms(4000)), next) == Keepalive::Expiry::send_ping);
  CHECK(next == 4000);
  Keepalive k2;
  REQUIRE(k2.expired(settings(Ms(4000), Ms(4000)), next) == Keepalive::Expiry::send_ping);
  CHECK(next == 4000);
}

TEST_CASE("any sign of life after a ping re-arms; otherwise activity only postpones",
          "[glue][timeouts]") {
  const auto s = settings(Ms(30000), Ms(10000));
  Keepalive k;
  CHECK_FALSE(k.activity());  // no ping outstanding: touch the armed timer
  std::uint32_t next = 0;
  REQUIRE(k.expired(s, next) == Keepalive::Expiry::send_ping);
  CHECK(k.activity());  // the peer answered (or sent anything): re-arm with open_delay
  CHECK_FALSE(k.ping_sent());
  CHECK_FALSE(k.activity());
  // The next silence starts the cycle again with a ping, not a close.
  CHECK(k.expired(s, next) == Keepalive::Expiry::send_ping);
}

TEST_CASE("timer delays are clamped to what the wheel takes", "[glue][timeouts]") {
  CHECK(timer_ms(Ms(0)) == 0);
  CHECK(timer_ms(Ms(-5)) == 0);
  CHECK(timer_ms(Ms(1234)) == 1234);
  CHECK(timer_ms(Ms(0x7FFFFFFF)) == 0x7FFFFFFFu);
  CHECK(timer_ms(Ms(0x1FFFFFFFFLL)) == 0x7FFFFFFFu);
}

TEST_CASE("a quiet compressing connection gives its compression state back once per silence",
          "[glue][timeouts]") {
  auto s = settings(Ms(30000), Ms(20000));
  s.compression_idle_release = Ms(5000);
  // Only compressing connections wait for the release.
  CHECK(Keepalive::open_delay(s) == 20000);
  CHECK(Keepalive::open_delay(s, true) == 5000);
  Keepalive k;
  std::uint32_t next = 0;
  REQUIRE(k.expired(s, next, true) == Keepalive::Expiry::release_compression);
  CHECK(next == 15000);  // the ping interval, counted from the start of the silence
  REQUIRE(k.expired(s, next, true) == Keepalive::Expiry::send_ping);
  CHECK(next == 10000);
  // The peer speaks: re-arm from the start, and the next silence releases again.
  CHECK(k.activity());
  CHECK(k.expired(s, next, true) == Keepalive::Expiry::release_compression);
  CHECK(k.activity());
  CHECK_FALSE(k.activity());  // nothing outstanding: a touch() keeps the armed delay
  // A release later than the keepalive never comes first; without keepalive it disarms after.
  s.compression_idle_release = Ms(60000);
  CHECK(Keepalive::open_delay(s, true) == 20000);
  CHECK(k.expired(s, next, true) == Keepalive::Expiry::send_ping);
  Keepalive quiet;
  const auto only_release = [] {
    ConnectionSettings c;
    c.compression_idle_release = Ms(5000);
    return c;
  }();
  CHECK(Keepalive::open_delay(only_release, true) == 5000);
  CHECK(quiet.expired(only_release, next, true) == Keepalive::Expiry::release_compression);
  CHECK(next == 0);
}
