// LoopMetrics: the counters of one server loop, behind Server::metrics() and the Prometheus
// text (uvws/metrics.h). Private to ws/src.
//
// Each counter is written by its loop's thread only and read by any thread (a scrape): a
// relaxed atomic load and store, which compile to plain moves — no lock and no atomic
// read-modify-write on the message path. The counters of every data message (TrafficTally)
// are cheaper still: plain integers of the loop's thread, one add each, published into their
// atomic mirrors after each read before its replies are written (Connection::after_receive),
// and once per loop iteration (the flush hook). A peer that received an echo therefore finds
// its message counted; a message a callback sends to another connection may reach that peer
// up to one loop iteration before it is counted. A snapshot sums the loops' counters; it is
// exact for each counter as of those points, not across counters (they are read one after
// the other while loops run).
//
// Ownership: one per LoopContext. Threads: add()/observe()/tally/publish() on the loop's
// thread; get() any.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>

#include "uvws/metrics.h"
#include "uvws/ws/frame.h"

namespace uvws::detail {

// A counter with one writer (see the file comment).
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }
  void set(std::uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A histogram of durations in microseconds with fixed bucket bounds (in seconds, for
// Prometheus); rare events (a loop tick, a pong), so observe() scans the bounds.
template <std::size_t N>
class Histogram {
 public:
  explicit constexpr Histogram(const std::array<double, N>& bounds) : bounds_(bounds) {}
  void observe(std::uint64_t micros) noexcept {
    const double seconds = static_cast<double>(micros) / 1e6;
    std::size_t i = 0;
    while (i < N && seconds > bounds_[i]) ++i;
    buckets_[i].add();
    sum_micros_.add(micros);
  }
  // Adds this histogram's counts to `into` (which has these bounds, or none yet).
  void add_to(HistogramSnapshot& into) const {
    if (into.bounds.empty()) {
      into.bounds.assign(bounds_.begin(), bounds_.end());
      into.counts.assign(N + 1, 0);
    }
    for (std::size_t i = 0; i <= N; ++i) {
      const std::uint64_t c = buckets_[i].get();
      into.counts[i] += c;
      into.count += c;
    }
    into.sum += static_cast<double>(sum_micros_.get()) / 1e6;
  }

 private:
  std::array<double, N> bounds_;
  std::array<Counter, N + 1> buckets_{};  // the last: over every bound (+Inf)
  Counter sum_micros_;
};

// Bucket bounds, in seconds.
inline constexpr std::array<double, 12> loop_lag_bounds = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                           0.1,   0.2,   0.5,   1,    2,    5};
inline constexpr std::array<double, 14> ping_rtt_bounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

// Counters indexed by an HTTP status (100..599) or a close code (1000..4999); others are
// counted under index 0 of their table ("other").
template <std::size_t Low, std::size_t High>
class CodeCounters {
 public:
  void add(unsigned code) noexcept {
    counters_[code >= Low && code <= High ? code - Low + 1 : 0].add();
  }
  // Adds the non-zero counts to `into` (code 0: out of range).
  void add_to(std::map<int, std::uint64_t>& into) const {
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      if (const std::uint64_t c = counters_[i].get()) {
        into[i == 0 ? 0 : static_cast<int>(i - 1 + Low)] += c;
      }
    }
  }

 private:
  std::array<Counter, High - Low + 2> counters_{};
};

// The counters of the data messages, received and sent: the message path's only counting.
// Plain integers, written and read by the loop's thread alone (LoopMetrics::publish() copies
// them for other threads), so that each count is one add and none a branch: the slot is
// computed from the opcode and whether the connection compresses.
struct TrafficTally {
  struct Slot {
    std::uint64_t messages = 0;  // ended by a frame with FIN (frame mode: fragments count 0)
    std::uint64_t bytes = 0;     // payload bytes, uncompressed
    std::uint64_t wire = 0;      // frame bytes, headers included (sent only)
  };
  // 0 text, 1 binary; plus 2 on a connection that negotiated permessage-deflate.
  static std::size_t slot(bool compressed, ws::Opcode opcode) noexcept {
    return 2u * compressed + (opcode == ws::Opcode::binary);
  }
  std::array<Slot, 4> in{};
  std::array<Slot, 4> out{};
  // The slots LoopMetrics::publish() copies: the first two (no compression) until a
  // connection of this loop negotiates permessage-deflate (Connection::opened_websocket), all
  // four from then on. Publishing after every read costs half as much on a loop that never
  // compresses.
  std::size_t used = 2;
};

struct LoopMetrics {
  Counter accepted;  // TCP connections accepted
  Counter refused;   // accepted and closed at once: over max_connections or shutting down
  CodeCounters<100, 599> handshakes;      // upgrade requests by answer (101: opened)
  Counter handshakes_unanswered;          // timed out, or the peer left first
  CodeCounters<100, 599> http_responses;  // plain HTTP requests by answer

  TrafficTally tally;  // the data messages: loop thread only, see publish()
  Counter pings_in, pongs_in, pings_out, pongs_out;
  // WebSocket bytes (frames) read, and written besides the data messages of `tally`.
  Counter wire_in, wire_out;
  Counter deflate_wire_in;  // read on connections that negotiated permessage-deflate

  Counter backpressure;                     // sends that returned SendStatus::backpressure
  Counter dropped;                          // messages dropped by the drop policy (drop_reports.h)
  Counter read_pauses;                      // reading stopped over max_backpressure
  Counter memory_failures;                  // connections failed by the memory budget
  CodeCounters<1000, 4999> close_received;  // the peer's close frames (1005: no code)
  CodeCounters<1000, 4999> close_sent;      // our close frames
  CodeCounters<1000, 4999> closed;          // what on_close reported (1006 included)

  Counter publishes;   // WebSocket::publish / Server::publish calls handled on this loop
  Counter deliveries;  // published messages written to a subscriber

  Histogram<loop_lag_bounds.size()> loop_lag{loop_lag_bounds};
  Histogram<ping_rtt_bounds.size()> ping_rtt{ping_rtt_bounds};

  // Copies `tally` where other threads read it. On the loop's thread: after each read before its
  // replies go out, once per iteration (the flush hook), before a publish reaches other loops,
  // and at the end.
  void publish() noexcept;
  // Adds this loop's counters to `m` (counters only; gauges come from the server).
  void add_to(ServerMetrics& m) const;

 private:
  struct PublishedSlot {
    Counter messages;
    Counter bytes;
    Counter wire;
  };
  std::array<PublishedSlot, 4> in_;  // tally.in as of the last publish()
  std::array<PublishedSlot, 4> out_;
};

}  // namespace uvws::detail
