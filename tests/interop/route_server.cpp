// The server of the route interop test (route_python.py): routes with parameters, a wildcard,
// the catch-all, per-route options and an upgrade answered later from another thread. Every
// connection is told what its WebSocket knows of its request when it opens, and echoes.
//
// Usage: uvws_route_server  — listens on 127.0.0.1, port 0; prints "port N" first; stops on
// SIGTERM.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "uvws/server.h"

namespace {

// "route|path|param0|param1|query" as the WebSocket tells them now.
std::string describe(const uvws::WebSocket& ws) {
  return std::string(ws.route()) + "|" + std::string(ws.path()) + "|" +
         std::string(ws.param(std::size_t{0})) + "|" + std::string(ws.param(std::size_t{1})) + "|" +
         std::string(ws.query());
}

class Describe : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override { ws.send_text("open " + describe(ws)); }
  void on_message(uvws::WebSocket& ws, uvws::Message m) override {
    if (m.text() == "describe") {
      ws.send_text("later " + describe(ws));
    } else {
      ws.send(m.data(), m.opcode());
    }
  }
  void on_http(const uvws::HTTPRequest& request, uvws::HTTPReply& reply) override {
    reply.status = 200;
    reply.body = "http " + std::string(uvws::route_param(request, std::size_t{0}));
  }
};

// Answers every upgrade 200 ms later from another thread: accepted with a header, unless the
// request's query is "deny" (401 with a body).
class Slow : public Describe {
 public:
  uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
    auto pending = uvws::PendingUpgrade::defer(request);
    const bool deny = request.query() == "deny";
    std::thread([pending, deny] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a slow auth service
      if (deny) {
        pending.reject({.status = 401, .body = "denied\n"});
      } else {
        pending.accept({.headers = {{"X-Auth", "ok"}}});
      }
    }).detach();
    return {};
  }
};

}  // namespace

int main() {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  uvws::Server server(options);
  Describe rooms, files, small, zipped, any;
  Slow slow;
  uvws::RouteOptions keep;
  keep.keep_request = true;
  server.route("/rooms/:id/users/:user", rooms, keep);
  server.route("/files/*", files);
  uvws::RouteOptions small_options;
  small_options.max_message_size = 100;
  server.route("/small", small, small_options);
  uvws::RouteOptions zipped_options;
  zipped_options.compression = uvws::ws::DeflateOptions{.enabled = true};
  server.route("/z", zipped, zipped_options);
  server.route("/slow", slow);
  server.route("*", any);
  server.listen();
  std::printf("port %u\n", server.port());
  std::fflush(stdout);
  server.run();
}
