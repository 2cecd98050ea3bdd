// prometheus_text(): a ServerMetrics snapshot in the Prometheus text exposition format 0.0.4:
// for each metric a "# HELP" and a "# TYPE" line, then its samples; counters end in _total,
// histograms have cumulative _bucket{le=...} samples, _sum and _count.
#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "uvws/metrics.h"

namespace uvws {
namespace {

// Appends text without the allocations of operator+ chains.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    start(name, labels);
    number(value);
    out_.push_back('\n');
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    start(name, labels);
    number(value);
    out_.push_back('\n');
  }
  // A metric with one sample and no label.
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::uint64_t value) {
    header(name, type, help);
    sample(name, {}, value);
  }
  // A counter with one sample per entry of `by`, labelled `label`="key" (key 0: "other").
  void labelled(std::string_view name, std::string_view help, std::string_view label,
                const std::map<int, std::uint64_t>& by) {
    header(name, "counter", help);
    for (const auto& [key, value] : by) {
      std::string labels(label);
      labels.append("=\"").append(key == 0 ? "other" : std::to_string(key)).append("\"");
      sample(name, labels, value);
    }
  }
  // The samples of one histogram; `labels` (may be empty) go before le.
  void histogram(std::string_view name, std::string_view labels, const HistogramSnapshot& h) {
    const std::string bucket = std::string(name) + "_bucket";
    const std::string sep = labels.empty() ? "" : ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      std::string l(labels);
      l.append(sep).append("le=\"");
      if (i < h.bounds.size()) {
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, h.bounds[i]);
        l.append(buf, r.ptr);
      } else {
        l.append("+Inf");
      }
      l.append("\"");
      sample(bucket, l, cumulative);
    }
    sample(std::string(name) + "_sum", labels, h.sum);
    sample(std::string(name) + "_count", labels, h.count);
  }

 private:
  void start(std::string_view name, std::string_view labels) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.push_back(' ');
  }
  void number(std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void number(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }

  std::string& out_;
};

void traffic(Writer& w, std::string_view direction, const TrafficSnapshot& text,
             const TrafficSnapshot& binary) {
  const std::string messages = std::string("uvws_messages_") + std::string(direction) + "_total";
  w.header(messages, "counter",
           std::string("WebSocket data messages ") + std::string(direction) + ", by opcode.");
  w.sample(messages, "opcode=\"text\"", text.messages);
  w.sample(messages, "opcode=\"binary\"", binary.messages);
  const std::string bytes = std::string("uvws_message_bytes_") + std::string(direction) + "_total";
  w.header(bytes, "counter",
           std::string("Payload bytes of the data messages ") + std::string(direction) +
               " (uncompressed), by opcode.");
  w.sample(bytes, "opcode=\"text\"", text.bytes);
  w.sample(bytes, "opcode=\"binary\"", binary.bytes);
}

}  // namespace

std::string prometheus_text(const ServerMetrics& m) {
  std::string out;
  out.reserve(8192);
  Writer w(out);
  w.single("uvws_websocket_connections", "gauge", "Open WebSocket connections.", m.websockets_open);
  w.single("uvws_tcp_connections", "gauge",
           "Open TCP connections (WebSockets, handshakes, plain HTTP, closing).",
           m.tcp_connections);
  w.single("uvws_tcp_connections_accepted_total", "counter", "TCP connections accepted.",
           m.tcp_accepted);
  w.single("uvws_tcp_connections_refused_total", "counter",
           "TCP connections closed at once: over max_connections, or shutting down.",
           m.tcp_refused);
  w.labelled("uvws_handshakes_total",
             "WebSocket upgrade requests by the HTTP status answered (101: opened).", "status",
             m.handshakes);
  w.single("uvws_handshakes_unanswered_total", "counter",
           "Upgrade requests never answered: handshake timeout, or the peer left.",
           m.handshakes_unanswered);
  w.labelled("uvws_http_responses_total", "Plain HTTP requests by the status answered.", "status",
             m.http_responses);

  traffic(w, "received", m.text_received, m.binary_received);
  traffic(w, "sent", m.text_sent, m.binary_sent);
  w.header("uvws_control_frames_received_total", "counter", "Pings and pongs received.");
  w.sample("uvws_control_frames_received_total", "opcode=\"ping\"", m.pings_received);
  w.sample("uvws_control_frames_received_total", "opcode=\"pong\"", m.pongs_received);
  w.header("uvws_control_frames_sent_total", "counter", "Pings and pongs sent.");
  w.sample("uvws_control_frames_sent_total", "opcode=\"ping\"", m.pings_sent);
  w.sample("uvws_control_frames_sent_total", "opcode=\"pong\"", m.pongs_sent);
  w.single("uvws_wire_bytes_received_total", "counter",
           "WebSocket frame bytes read (headers included).", m.wire_bytes_received);
  w.single("uvws_wire_bytes_sent_total", "counter",
           "WebSocket frame bytes written (headers included).", m.wire_bytes_sent);
  w.header("uvws_deflate_bytes_total", "counter",
           "On permessage-deflate connections: payload (uncompressed) and wire bytes; "
           "payload / wire is the compression ratio.");
  w.sample("uvws_deflate_bytes_total", "direction=\"received\",kind=\"payload\"",
           m.deflate_payload_received);
  w.sample("uvws_deflate_bytes_total", "direction=\"received\",kind=\"wire\"",
           m.deflate_wire_received);
  w.sample("uvws_deflate_bytes_total", "direction=\"sent\",kind=\"payload\"",
           m.deflate_payload_sent);
  w.sample("uvws_deflate_bytes_total", "direction=\"sent\",kind=\"wire\"", m.deflate_wire_sent);

  w.single("uvws_backpressure_events_total", "counter",
           "Sends that returned backpressure (over max_backpressure).", m.backpressure_events);
  w.single("uvws_read_pauses_total", "counter",
           "Times reading stopped because a connection was over max_backpressure.", m.read_pauses);
  w.single("uvws_dropped_messages_total", "counter",
           "Messages dropped by the backpressure drop policy.", m.dropped_messages);
  w.single("uvws_memory_budget_failures_total", "counter",
           "Connections failed to keep the server within memory_budget.", m.memory_budget_failures);
  w.labelled("uvws_close_frames_received_total", "Close frames received, by code.", "code",
             m.close_received);
  w.labelled("uvws_close_frames_sent_total", "Close frames sent, by code.", "code", m.close_sent);
  w.labelled("uvws_closes_total",
             "Connections closed, by the code on_close reported (1006: no close frame).", "code",
             m.closed);

  w.single("uvws_publishes_total", "counter", "Messages published to topics.", m.publishes);
  w.single("uvws_deliveries_total", "counter", "Published messages written to subscribers.",
           m.deliveries);
  w.single("uvws_topics", "gauge", "Topics with at least one subscriber.", m.topics);
  w.single("uvws_subscriptions", "gauge", "Subscriptions (connection, topic).", m.subscriptions);

  w.header("uvws_loop_lag_seconds", "histogram",
           "How late each loop's 100 ms tick ran: time the loop was busy with other work.");
  for (std::size_t i = 0; i < m.loop_lag.size(); ++i) {
    w.histogram("uvws_loop_lag_seconds", "loop=\"" + std::to_string(i) + "\"", m.loop_lag[i]);
  }
  w.header("uvws_ping_rtt_seconds", "histogram",
           "Round-trip time of keepalive pings (ping_interval).");
  if (!m.ping_rtt.counts.empty()) w.histogram("uvws_ping_rtt_seconds", {}, m.ping_rtt);
  return out;
}

}  // namespace uvws
