// enforce_memory_budget (memory_budget.h) and the connection's side of the accounting.
#include "memory_budget.h"

#include <algorithm>
#include <limits>

#include "connection.h"
#include "log.h"
#include "server_context.h"

namespace uvws::detail {

void enforce_memory_budget(LoopContext& ctx) {
  MemoryBudget& budget = ctx.budget;
  // Rare (a hostile or overloaded moment), so a scan of the loop's connections is fine.
  // Every connection on a server loop is a detail::Connection (server_context.h).
  const std::vector<net::TCPConnection*> all = ctx.loop.connections();
  while (budget.held > budget.limit) {
    Connection* largest = nullptr;
    for (net::TCPConnection* c : all) {
      auto* conn = static_cast<Connection*>(c);
      if (!conn->closing() && (largest == nullptr || conn->held_bytes() > largest->held_bytes())) {
        largest = conn;
      }
    }
    if (largest == nullptr || largest->held_bytes() == 0) return;
    ++budget.failed;
    logger().warn(
        "memory budget: {} bytes held on this loop, over its share of {}; failing "
        "connection {}, which holds {}",
        budget.held, budget.limit, largest->net::TCPConnection::remote_address(),
        largest->held_bytes());
    largest->fail_for_memory_budget();
  }
}

void Connection::update_held_bytes(std::size_t now) {
  MemoryBudget& budget = ctx().budget;
  budget.held = budget.held - held_ + now;
  held_ = static_cast<std::uint32_t>(now);
  if (budget.held > budget.limit) enforce_memory_budget(ctx());
}

void Connection::fail_for_memory_budget() {
  // Mostly a message arriving: too big to process now (1009); mostly output the peer does not
  // read: a policy violation (1008). RFC 6455 7.1.7: fail the connection, close frame optional.
  const bool receiving = protocol().buffered_bytes() >= queued_amount();
  ctx().metrics.memory_failures.add();
  if (stage_ == Stage::open) {
    protocol().send_close(receiving ? ws::close_code::too_big : ws::close_code::policy_violation,
                          "server memory budget", send_buffer());
  }
  protocol().terminate();  // frees the message being received
  TCPConnection::close();  // one write attempt for the close frame; the backlog is dropped
  conclude();
  account_held_bytes();  // closing: holds nothing any more
}

}  // namespace uvws::detail
