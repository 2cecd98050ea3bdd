// The state a Server shares with its loops and connections. Private to ws/src.
//
// ServerShared is built before the loops start and read-only afterwards (any loop thread
// reads it without locks), except the atomic connection counter. LoopContext belongs to one
// loop thread. Every connection on a server's loop is a detail::Connection (the memory budget
// relies on it when it scans the loop).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drop_reports.h"
#include "endpoint.h"
#include "loop_lag.h"
#include "loop_metrics.h"
#include "memory_budget.h"
#include "pubsub.h"
#include "router.h"
#include "topics.h"
#include "uvws/handler.h"
#include "uvws/net/loop.h"
#include "uvws/net/tcp_listener.h"
#include "uvws/server.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::detail {

struct LoopContext;

struct ServerShared {
  ServerOptions options;
  ConnectionSettings settings;                  // from options, until a route is found
  ws::ServerProtocolOptions protocol;           // from options, until a route is found
  std::vector<std::unique_ptr<Route>> routes;   // each with its own settings (router.h)
  Router router;                                // over `routes`
  std::atomic<std::size_t> connections{0};      // accepted TCP connections, all loops
  std::atomic<std::size_t> open_websockets{0};  // from on_open to on_close, all loops
  std::vector<LoopContext*> loops;              // set by listen(), fixed afterwards
  TopicCounts topic_counts;
};

// All loops' counters summed, with the server-wide gauges (Server::metrics()). Any thread.
ServerMetrics collect_metrics(const ServerShared& shared);

struct LoopContext {
  explicit LoopContext(ServerShared& s)
      : shared(s),
        loop(net::LoopOptions{.clock = s.options.clock}),
        topics(s.topic_counts, &drain_to_connection),
        traffic(s.options.metrics ? &metrics : nullptr) {}
  ServerShared& shared;
  net::Loop loop;
  TopicRegistry topics;
  std::unique_ptr<net::TCPListener> listener;
  MemoryBudget budget;              // loop thread only
  DropReports drops;                // loop thread only
  LoopMetrics metrics;              // written by the loop thread, read by any (metrics())
  LoopMetrics* traffic;             // &metrics, or nullptr when ServerOptions::metrics is off
  std::unique_ptr<LoopLag> lag;     // from listen(); stopped by the graceful shutdown
  std::size_t open_websockets = 0;  // loop thread only
  bool shutting_down = false;       // loop thread only
};

}  // namespace uvws::detail
