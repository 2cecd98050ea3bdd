// uvws-echo: a WebSocket echo server. Text comes back as text, binary as binary.
//
//   uvws-echo [--host 127.0.0.1] [--port 9001] [--threads 1] [--max-message-size BYTES]
//             [--compression] [--log-level info]
//
// Every path is served. SIGINT / SIGTERM close every connection with 1001 and exit.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "uvws/core/log.h"
#include "uvws/server.h"

namespace {

class Echo final : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

[[noreturn]] void usage(int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: uvws-echo [--host ADDR] [--port N] [--threads N] "
               "[--max-message-size BYTES] [--compression] [--log-level LEVEL]\n");
  std::exit(status);
}

}  // namespace

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  std::string log_level = "info";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (arg == "--host") {
      options.host = value();
    } else if (arg == "--port") {
      options.port = static_cast<std::uint16_t>(std::stoul(value()));
    } else if (arg == "--threads") {
      options.threads = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--max-message-size") {
      options.max_message_size = std::stoull(value());
    } else if (arg == "--compression") {
      options.compression.enabled = true;
    } else if (arg == "--log-level") {
      log_level = value();
    } else if (arg == "--help" || arg == "-h") {
      usage(0);
    } else {
      usage(2);
    }
  }
  if (!uvws::core::set_log_level(log_level)) usage(2);

  try {
    uvws::Server server(options);
    Echo echo;
    server.route("/", echo);
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
