// The server's memory budget (ServerOptions::memory_budget). Private to ws/src.
//
// What it bounds: the bytes connections hold for input not yet delivered (a message arriving
// in parts, ws::Protocol::buffered_bytes) and for output the peer has not read yet (the write
// backlog, net::TCPConnection::queued_amount). Everything else a connection holds is fixed and
// small (docs/ARCHITECTURE.md, "Memory"). Per-connection limits (max_message_size,
// max_backpressure) bound one connection; this bounds their sum, which many connections that
// each stay under their limits (a partial message each, then silence) would otherwise grow
// without bound.
//
// The policy, when a loop's connections hold more than its share: the connection holding the
// most is failed at once (RFC 6455 7.1.7): a close frame with 1009 when most of what it holds
// is a message arriving, 1008 when it is output the peer does not read, one attempt to write
// it, and TCP is closed; its memory is free at the end of the iteration. Repeated until the
// loop is within its share. The application's on_close reports 1006 (no close frame came
// back). Counted and logged (warn).
//
// The budget is split evenly among the server's loops: each loop enforces its share alone,
// without locks or cross-thread traffic (the kernel spreads connections evenly over the
// loops' SO_REUSEPORT listeners, and a loop that gets more than its part stays within its
// share, which errs on the safe side).
//
// Threads: one MemoryBudget per loop, used on that loop's thread only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uvws::detail {

struct LoopContext;

struct MemoryBudget {
  std::size_t limit = 0;     // this loop's share of ServerOptions::memory_budget
  std::size_t held = 0;      // the sum of the loop's connections' held bytes
  std::uint64_t failed = 0;  // connections failed to stay within it
};

// Fails the connections of `ctx`'s loop that hold the most until the loop holds no more than
// its share (see above). Called by a connection whose held bytes grew past the share.
void enforce_memory_budget(LoopContext& ctx);

}  // namespace uvws::detail
