// uvws-echo: a WebSocket echo server. Text comes back as text, binary as binary.
//
//   uvws-echo [--host 127.0.0.1] [--port 9001] [--threads 1] [--max-message-size BYTES]
//             [--compression] [--log-level info]
//
// Every path is served. SIGINT / SIGTERM close every connection with 1001 and exit.
#include <cstdio>
#include <cstring>
#include <string>

#include "../common/cli.h"
#include "uvws/server.h"

namespace {

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
  examples::parse_server_args(argc, argv, "uvws-echo [--max-message-size BYTES] [--compression]",
                              options,
                              [&](std::string_view arg, const std::function<std::string()>& value) {
                                if (arg == "--max-message-size") {
                                  options.max_message_size = std::stoull(value());
                                  options.max_frame_size = options.max_message_size;
                                } else if (arg == "--compression") {
                                  options.compression.enabled = true;
                                } else {
                                  return false;
                                }
                                return true;
                              });

  try {
    uvws::Server server(options);
    Echo echo;
    server.route("*", echo);
    server.listen();
    std::printf("uvws-echo listening on ws://%s:%u/\n", options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
