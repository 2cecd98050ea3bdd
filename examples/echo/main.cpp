// uvws-echo: a WebSocket echo server. Text comes back as text, binary as binary.
//
//   uvws-echo [--host 127.0.0.1] [--port 9001] [--threads 1] [--max-message-size BYTES]
//             [--compression] [--compression-idle-release-ms N] [--handshake-timeout-ms N]
//             [--idle-timeout-ms N] [--close-timeout-ms N] [--log-level info]
//             [--tls-cert CHAIN.pem --tls-key KEY.pem]   (then wss://)
//
// Every path is served (GET /metrics: the metrics for Prometheus). SIGINT / SIGTERM close every
// connection with 1001 and exit.
//
// The millisecond flags set the ServerOptions of the same name (uvws/server.h), for the
// benchmarks and the soak test: --compression-idle-release-ms how long a compressing connection
// stays quiet before it gives its zlib state back (0 = never; bench/memory.sh measures both
// sides of it), --handshake-timeout-ms, --idle-timeout-ms (0 = off) and --close-timeout-ms.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "../common/cli.h"
#include "uvws/metrics.h"
#include "uvws/server.h"

namespace {

constexpr const char* usage =
    "uvws-echo [--max-message-size BYTES] [--compression-idle-release-ms N]\n"
    "          [--handshake-timeout-ms N] [--idle-timeout-ms N] [--close-timeout-ms N]\n"
    "  --compression-idle-release-ms: a compressing connection quiet this long gives its zlib\n"
    "    state back (default 10000; 0 = never)\n"
    "  --handshake-timeout-ms (10000), --idle-timeout-ms (120000; 0 = off),\n"
    "  --close-timeout-ms (5000): the server's timeouts";

class Echo final : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

}  // namespace

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  examples::parse_server_args(argc, argv, usage, options,
                              [&](std::string_view arg, const std::function<std::string()>& value) {
                                const auto ms = [&] {
                                  return std::chrono::milliseconds(std::stoull(value()));
                                };
                                if (arg == "--max-message-size") {
                                  options.max_message_size = std::stoull(value());
                                  options.max_frame_size = options.max_message_size;
                                } else if (arg == "--compression-idle-release-ms") {
                                  options.compression_idle_release = ms();
                                } else if (arg == "--handshake-timeout-ms") {
                                  options.handshake_timeout = ms();
                                } else if (arg == "--idle-timeout-ms") {
                                  options.idle_timeout = ms();
                                } else if (arg == "--close-timeout-ms") {
                                  options.close_timeout = ms();
                                } else {
                                  return false;
                                }
                                return true;
                              });

  try {
    uvws::Server server(options);
    Echo echo;
    server.route("*", echo);
    uvws::MetricsHandler metrics(server);
    server.route("/metrics", metrics);  // Prometheus text over plain HTTP (uvws/metrics.h)
    server.listen();
    std::printf("uvws-echo listening on %s://%s:%u/\n", examples::ws_scheme(options),
                options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
