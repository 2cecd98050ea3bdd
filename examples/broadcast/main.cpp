// uvws-broadcast: every message a client sends (text or binary) goes to every other connected
// client, in order. The smallest pub/sub server, and the fan-out benchmark's server.
//
//   uvws-broadcast [--host 127.0.0.1] [--port 9001] [--threads 1] [--log-level info]
//
// GET /metrics serves the server's metrics for Prometheus.
#include <cstdio>
#include <string>

#include "../common/cli.h"
#include "uvws/metrics.h"
#include "uvws/server.h"

namespace {

constexpr std::string_view topic = "broadcast";

class Broadcast final : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override { ws.subscribe(topic); }
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.publish(topic, message.data(), message.opcode());
  }
};

}  // namespace

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  examples::parse_server_args(argc, argv, "uvws-broadcast", options);
  try {
    uvws::Server server(options);
    Broadcast broadcast;
    server.route("/", broadcast);
    uvws::MetricsHandler metrics(server);
    server.route("/metrics", metrics);  // Prometheus text over plain HTTP (uvws/metrics.h)
    server.listen();
    std::printf("uvws-broadcast listening on ws://%s:%u/\n", options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-broadcast: %s\n", e.what());
    return 1;
  }
  return 0;
}
