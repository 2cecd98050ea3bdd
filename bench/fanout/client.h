// uvws-fanout's connections: the payload it publishes (sequence number and send time) and the
// client that sends it or receives it, over plain WebSocket messages or Socket.IO events
// (socketio.h). A subscriber checks that messages arrive in publish order and records each
// one's publish-to-receive latency into the Deliveries it shares with the other subscribers.
//
// Ownership: a Client owns its RawClient (and so its socket); Deliveries is owned by main()
// and outlives the clients. Threads: one.
#pragma once

#include <time.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "../common/raw_client.h"
#include "histogram.h"
#include "socketio.h"

namespace uvws::bench {

// CLOCK_MONOTONIC in nanoseconds: the clock of Node's process.hrtime() on Linux, so that a
// publisher in any process of this machine could stamp the payload.
inline std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// The payload: 8 hex digits of the sequence number (modulo 2^32), 12 hex digits of the send
// time (monotonic_ns() modulo 2^48, 78 hours: a latency is a difference modulo 2^48), then 'x'
// up to the size. Text, valid UTF-8, nothing that JSON escapes.
namespace payload {
inline constexpr std::size_t min_size = 20;
inline constexpr std::uint64_t seq_mask = 0xffff'ffffu;
inline constexpr std::uint64_t time_mask = 0xffff'ffff'ffffu;

inline void stamp(std::string& p, std::uint64_t seq, std::uint64_t now_ns) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i, seq >>= 4) p[static_cast<std::size_t>(i)] = hex[seq & 15];
  for (int i = 19; i >= 8; --i, now_ns >>= 4) p[static_cast<std::size_t>(i)] = hex[now_ns & 15];
}

// The sequence number and send time; false when the text is not a payload.
inline bool read(std::string_view p, std::uint64_t& seq, std::uint64_t& sent_ns) {
  if (p.size() < min_size) return false;
  const auto a = std::from_chars(p.data(), p.data() + 8, seq, 16);
  const auto b = std::from_chars(p.data() + 8, p.data() + 20, sent_ns, 16);
  return a.ptr == p.data() + 8 && b.ptr == p.data() + 20;
}
}  // namespace payload

// What the subscribers share: the latency histogram and whether the measured window is open.
struct Deliveries {
  Histogram latency;  // nanoseconds from the publisher's stamp to the subscriber's read
  bool recording = false;
};

// One client connection: the publisher (deliveries == nullptr: what it receives is ignored)
// or a subscriber.
class Client final : public ws::ProtocolListener {
 public:
  Client(const ws::ClientProtocolOptions& options, std::uint16_t port, bool socketio,
         Deliveries* deliveries)
      : io_(options, *this, port, socketio ? socketio::path : std::string_view("/")),
        socketio_(socketio),
        deliveries_(deliveries) {}

  int fd() const { return io_.fd(); }
  // Open, and with Socket.IO connected to the default namespace.
  bool ready() const { return io_.open() && (!socketio_ || connected_); }
  std::uint64_t received() const { return received_; }
  // The sequence number expected next: 0 before the first message.
  std::uint64_t next() const { return next_; }

  void on_message(ws::Opcode, std::span<std::uint8_t> data) override {
    std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (socketio_) {
      switch (socketio::classify(text)) {
        case socketio::Packet::open:
          send_raw(socketio::connect_packet);
          return;
        case socketio::Packet::connected:
          connected_ = true;
          return;
        case socketio::Packet::ping:
          send_raw(socketio::pong_packet);
          return;
        case socketio::Packet::other:
          return;
        case socketio::Packet::event: {
          const auto inner = socketio::unwrap(text);
          if (!inner) die(R"(a Socket.IO event that is not ["m","PAYLOAD"])");
          text = *inner;
          break;
        }
      }
    }
    if (deliveries_ == nullptr) return;
    std::uint64_t seq = 0, sent = 0;
    if (!payload::read(text, seq, sent)) die("a message that is not a payload");
    // The first message may be any (one published before this subscriber's server was
    // subscribed to Redis is not seen); from then on, every one in publish order.
    if (received_ > 0 && seq != (next_ & payload::seq_mask)) {
      die("message " + std::to_string(seq) + " out of order: expected " +
          std::to_string(next_ & payload::seq_mask));
    }
    next_ = received_ > 0 ? next_ + 1 : seq + 1;
    ++received_;
    if (deliveries_->recording) deliveries_->latency.record((now_ns_ - sent) & payload::time_mask);
  }
  void on_failed(std::error_code ec) override { die("connection failed: " + ec.message()); }

  // Sends `p` as a message (a Socket.IO event with --socketio).
  void send(std::string_view p) {
    if (!socketio_) return send_raw(p);
    socketio::wrap(p, event_);
    send_raw(event_);
  }
  bool flush() { return io_.flush(); }
  // Reads what the socket holds; `now_ns` (monotonic_ns()) is taken as the receive time.
  void read_all(std::uint64_t now_ns) {
    now_ns_ = now_ns;
    io_.read_all();
  }

 private:
  void send_raw(std::string_view text) { io_.protocol().send_text(text, io_.out()); }

  RawClient io_;
  bool socketio_;
  Deliveries* deliveries_;
  bool connected_ = false;
  std::uint64_t received_ = 0;
  std::uint64_t next_ = 0;
  std::uint64_t now_ns_ = 0;
  std::string event_;  // the Socket.IO event being sent, kept for its capacity
};

}  // namespace uvws::bench
