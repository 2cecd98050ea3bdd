// Keepalive and timer delays of a connection: what its one timer waits for, as values.
// Private to ws/src.
//
// A connection has one timer (its slot on the loop's timer wheel) and uses it by stage
// (connection.h): the handshake timeout, then while open the idle timeout and keepalive
// pings, then the close timeout. This file holds the arithmetic and the keepalive's one bit
// of state, without I/O, so that it is tested alone (tests/server/timeouts_test.cpp); the
// connection arms the timer with what it returns and does what an expiry says.
//
// Keepalive (RFC 6455 5.5.2): with a ping interval, a silent peer is pinged; its pong, or
// anything else it sends, proves it alive. Silence for the rest of the idle timeout (or one
// more interval when the idle timeout is not longer than the interval) ends the connection.
// Without a ping interval, the idle timeout alone ends a silent connection.
//
// A compressing connection silent for compression_idle_release gives its zlib state back
// (ws::Protocol::release_idle) once per silence, before the ping and the idle timeout when it
// comes first: the same timer, armed for the earliest of the three.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "endpoint.h"

namespace uvws::detail {

// A delay for the timer wheel: milliseconds, capped below 2^31 (options are checked to be
// under 24 days, so the cap never shortens a configured timeout).
std::uint32_t timer_ms(std::chrono::milliseconds d);

class Keepalive {
 public:
  // What an expiry of the open connection's timer means.
  enum class Expiry : std::uint8_t {
    send_ping,            // ping the peer, then arm `next_delay`
    idle,                 // no ping interval: close with 1001 "idle timeout"
    no_pong,              // a ping went unanswered: close with 1001 "keepalive timeout"
    release_compression,  // give the compression state back, then arm `next_delay` (0: disarm)
  };

  // The delay to arm when the connection opens, or shows life after a ping or a release: the
  // ping interval, the idle timeout or (when `compressing`) compression_idle_release, whichever
  // comes first; 0 when all are off (disarm).
  static std::uint32_t open_delay(const ConnectionSettings& s, bool compressing = false);

  // The open connection's timer expired. For send_ping, `next_delay` is how long to wait
  // for a sign of life; for release_compression, how long until the ping or idle timeout
  // (0: neither is on).
  Expiry expired(const ConnectionSettings& s, std::uint32_t& next_delay, bool compressing = false);

  // Bytes arrived from the peer. True when a ping was outstanding or the compression state was
  // released: the caller re-arms with open_delay(); false: the caller only postpones the armed
  // timer (TCPConnection::touch), which keeps its full delay.
  bool activity() {
    const bool rearm = ping_sent_ || released_;
    ping_sent_ = false;
    released_ = false;
    return rearm;
  }

  bool ping_sent() const { return ping_sent_; }

  // The payload of a keepalive ping: a tag and the time it is sent, which the peer's pong
  // carries back (RFC 6455 5.5.3: the same application data), so the round trip is measured
  // without a byte of per-connection state.
  using PingPayload = std::array<std::uint8_t, 8>;
  static PingPayload ping_payload();
  // The round trip in microseconds when `pong` answers a keepalive ping (its payload, sent
  // less than a minute ago); nullopt for any other pong.
  static std::optional<std::uint64_t> round_trip_us(std::span<const std::uint8_t> pong);

 private:
  bool ping_sent_ = false;
  bool released_ = false;  // release_compression happened in this silence
};

}  // namespace uvws::detail
