// Metrics: what a Server counts, as a snapshot (Server::metrics()) and as the Prometheus text
// exposition format 0.0.4 (prometheus_text(), MetricsHandler).
//
//   uvws::MetricsHandler metrics(server);
//   server.route("/metrics", metrics);   // plain HTTP GET /metrics: the Prometheus text
//
// Counting is always on. Each loop keeps its own counters, written by its thread alone with
// no lock and no atomic read-modify-write, so the message path pays a few plain increments; a
// snapshot sums them (docs/guide/11-metrics.md lists every metric).
//
// Threads: Server::metrics(), prometheus_text() and MetricsHandler may be used from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/handler.h"

namespace uvws {

class Server;

// A histogram: counts[i] observations at most bounds[i] seconds (and above the previous
// bound); counts.back() those above every bound. Not cumulative (Prometheus's buckets are:
// prometheus_text() sums them).
struct UVWS_EXPORT HistogramSnapshot {
  std::vector<double> bounds;         // upper bounds in seconds, ascending
  std::vector<std::uint64_t> counts;  // bounds.size() + 1 entries (empty: nothing set up)
  std::uint64_t count = 0;            // observations
  double sum = 0;                     // their sum, in seconds
};

// Messages and payload bytes.
struct UVWS_EXPORT TrafficSnapshot {
  std::uint64_t messages = 0;  // data messages
  std::uint64_t bytes = 0;     // their payload bytes (uncompressed)
};

// A Server's counters, all loops together, at one moment (each counter exact; counters read
// one after the other while the loops run).
struct UVWS_EXPORT ServerMetrics {
  // Connections.
  std::uint64_t websockets_open = 0;  // from on_open to on_close
  std::uint64_t tcp_connections = 0;  // accepted TCP connections now open
  std::uint64_t tcp_accepted = 0;     // accepted since start
  std::uint64_t tcp_refused = 0;      // accepted and closed: over max_connections
  // Upgrade requests by the HTTP status answered (101: opened; 0: another status than
  // 100..599).
  std::map<int, std::uint64_t> handshakes;
  std::uint64_t handshakes_unanswered = 0;  // handshake timeouts, and peers that left first
  // Plain HTTP requests (Handler::on_http, 404s) by status.
  std::map<int, std::uint64_t> http_responses;

  // Data messages and their payload bytes (uncompressed), by opcode and direction.
  TrafficSnapshot text_received;
  TrafficSnapshot binary_received;   // see text_received
  TrafficSnapshot text_sent;         // direct sends (published messages are deliveries)
  TrafficSnapshot binary_sent;       // see text_sent
  std::uint64_t pings_received = 0;  // control frames received
  std::uint64_t pongs_received = 0;  // see pings_received
  std::uint64_t pings_sent = 0;      // control frames sent (automatic pongs included)
  std::uint64_t pongs_sent = 0;      // see pings_sent
  // WebSocket bytes (frames, headers included) read and written.
  std::uint64_t wire_bytes_received = 0;
  std::uint64_t wire_bytes_sent = 0;  // see wire_bytes_received
  // On connections with permessage-deflate: payload bytes (uncompressed) and wire bytes. The
  // compression ratio is payload / wire.
  std::uint64_t deflate_payload_received = 0;
  std::uint64_t deflate_wire_received = 0;  // see deflate_payload_received
  std::uint64_t deflate_payload_sent = 0;   // see deflate_payload_received
  std::uint64_t deflate_wire_sent = 0;      // see deflate_payload_received

  // Flow control and limits.
  std::uint64_t backpressure_events = 0;     // sends that returned SendStatus::backpressure
  std::uint64_t read_pauses = 0;             // reading stopped over max_backpressure
  std::uint64_t dropped_messages = 0;        // dropped by the drop policy (Handler::on_dropped)
  std::uint64_t memory_budget_failures = 0;  // connections failed by ServerOptions::memory_budget

  // Close codes (0: outside 1000..4999) of the peer's close frames.
  std::map<int, std::uint64_t> close_received;
  std::map<int, std::uint64_t> close_sent;  // of our close frames
  std::map<int, std::uint64_t> closed;  // what on_close reported (1006: TCP ended without close)

  // Pub/sub.
  std::uint64_t publishes = 0;   // messages published (from a connection, Server::publish, Redis)
  std::uint64_t deliveries = 0;  // published messages written to subscribers
  std::uint64_t topics = 0;      // topics with at least one subscriber
  std::uint64_t subscriptions = 0;  // (connection, topic) pairs

  // Per loop (index = loop): how late a 100 ms tick ran (a busy loop delays everything on it).
  std::vector<HistogramSnapshot> loop_lag;
  HistogramSnapshot ping_rtt;  // all loops: the round trip of keepalive pings (ping_interval)
};

// `m` in the Prometheus text exposition format 0.0.4 (names prefixed uvws_).
UVWS_EXPORT std::string prometheus_text(const ServerMetrics& m);

// A Handler that answers plain HTTP GET requests on its route with the server's metrics in the
// Prometheus text format (405 for other methods); WebSocket upgrades on it are refused (404).
class UVWS_EXPORT MetricsHandler : public Handler {
 public:
  // `server` must outlive the handler's use.
  explicit MetricsHandler(Server& server) : server_(server) {}
  // Renders Server::metrics() (or 405 for a method other than GET or HEAD).
  void on_http(const HTTPRequest& request, HTTPReply& reply) override;
  // Refuses WebSocket upgrades on the metrics route (404).
  UpgradeDecision on_upgrade(const HTTPRequest& request) override;

 private:
  Server& server_;
};

}  // namespace uvws
