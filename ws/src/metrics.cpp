// Metrics: the loops' counters summed into a ServerMetrics snapshot, what a connection counts
// when it closes, and MetricsHandler.
// The Prometheus text is written in prometheus.cpp.
#include "uvws/metrics.h"

#include "connection.h"
#include "loop_metrics.h"
#include "server_context.h"
#include "uvws/server.h"

namespace uvws {
namespace detail {

void LoopMetrics::publish() noexcept {
  for (std::size_t i = 0; i < tally.used; ++i) {
    in_[i].messages.set(tally.in[i].messages);
    in_[i].bytes.set(tally.in[i].bytes);
    out_[i].messages.set(tally.out[i].messages);
    out_[i].bytes.set(tally.out[i].bytes);
    out_[i].wire.set(tally.out[i].wire);
  }
}

void LoopMetrics::add_to(ServerMetrics& m) const {
  m.tcp_accepted += accepted.get();
  m.tcp_refused += refused.get();
  handshakes.add_to(m.handshakes);
  m.handshakes_unanswered += handshakes_unanswered.get();
  http_responses.add_to(m.http_responses);
  // Slots 0 and 2 are text, 1 and 3 binary; 2 and 3 on compressing connections.
  for (std::size_t i = 0; i < 4; ++i) {
    const bool binary = i % 2 != 0;
    const bool compressed = i >= 2;
    TrafficSnapshot& received = binary ? m.binary_received : m.text_received;
    TrafficSnapshot& sent = binary ? m.binary_sent : m.text_sent;
    received.messages += in_[i].messages.get();
    received.bytes += in_[i].bytes.get();
    sent.messages += out_[i].messages.get();
    sent.bytes += out_[i].bytes.get();
    m.wire_bytes_sent += out_[i].wire.get();
    if (compressed) {
      m.deflate_payload_received += in_[i].bytes.get();
      m.deflate_payload_sent += out_[i].bytes.get();
      m.deflate_wire_sent += out_[i].wire.get();
    }
  }
  m.pings_received += pings_in.get();
  m.pongs_received += pongs_in.get();
  m.pings_sent += pings_out.get();
  m.pongs_sent += pongs_out.get();
  m.wire_bytes_received += wire_in.get();
  m.wire_bytes_sent += wire_out.get();
  m.deflate_wire_received += deflate_wire_in.get();
  m.backpressure_events += backpressure.get();
  m.dropped_messages += dropped.get();
  m.read_pauses += read_pauses.get();
  m.memory_budget_failures += memory_failures.get();
  close_received.add_to(m.close_received);
  close_sent.add_to(m.close_sent);
  closed.add_to(m.closed);
  m.publishes += publishes.get();
  m.deliveries += deliveries.get();
  loop_lag.add_to(m.loop_lag.emplace_back());
  ping_rtt.add_to(m.ping_rtt);
}

void Connection::count_close(LoopMetrics& m, std::uint16_t reported) const {
  m.closed.add(reported);
  if (const std::uint16_t c = protocol().close_code_received()) m.close_received.add(c);
  if (const std::uint16_t c = protocol().close_code_sent()) m.close_sent.add(c);
}

ServerMetrics collect_metrics(const ServerShared& shared) {
  ServerMetrics m;
  m.websockets_open = shared.open_websockets.load(std::memory_order_relaxed);
  m.tcp_connections = shared.connections.load(std::memory_order_relaxed);
  for (const LoopContext* ctx : shared.loops) ctx->metrics.add_to(m);
  shared.topic_counts.totals(m.topics, m.subscriptions);
  return m;
}

}  // namespace detail

void MetricsHandler::on_http(const HTTPRequest& request, HTTPReply& reply) {
  if (request.method() != "GET") {
    reply.status = 405;
    reply.body = "405 Method Not Allowed: GET the metrics\n";
    reply.headers.emplace_back("Allow", "GET");
    return;
  }
  reply.status = 200;
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  reply.body = prometheus_text(server_.metrics());
}

UpgradeDecision MetricsHandler::on_upgrade(const HTTPRequest&) {
  UpgradeDecision refuse;
  refuse.accept = false;
  refuse.status = 404;
  return refuse;
}

}  // namespace uvws
