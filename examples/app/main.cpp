// uvws-app: an application outside the uvws source tree, built against an installed uvws
// (CMakeLists.txt: find_package; Makefile: pkg-config). An echo server on 127.0.0.1.
//
//   uvws-app [PORT]     PORT 0 (the default): any free port
//
// It prints "uvws-app <uvws::version()> listening on ws://127.0.0.1:<port>/" once it listens,
// and runs until SIGINT or SIGTERM.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include <uvws/server.h>
#include <uvws/version.h>

namespace {

class Echo final : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    uvws::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = static_cast<std::uint16_t>(argc > 1 ? std::stoul(argv[1]) : 0);
    uvws::Server server(options);
    Echo echo;
    server.route("*", echo);
    server.listen();
    std::printf("uvws-app %s listening on ws://127.0.0.1:%u/\n", uvws::version(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-app: %s\n", e.what());
    return 1;
  }
  return 0;
}
