// Metrics: serve the server's counters to Prometheus, and read them in code.
#include <cstdio>

#include <uvws/metrics.h>
#include <uvws/server.h>

class Echo : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

int main() {
  uvws::ServerOptions options;
  options.port = 9001;
  uvws::Server server(options);
  Echo echo;
  server.route("/", echo);
  // [route]
  uvws::MetricsHandler metrics(server);
  server.route("/metrics", metrics);  // GET /metrics: the Prometheus text format 0.0.4
  // [route]
  server.listen();
  // [snapshot]
  uvws::ServerMetrics m = server.metrics();  // any thread: all loops summed
  std::printf("%llu open, %llu text messages in\n",
              static_cast<unsigned long long>(m.websockets_open),
              static_cast<unsigned long long>(m.text_received.messages));
  // [snapshot]
  server.run();
}
