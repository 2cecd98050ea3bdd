// The server: options, routes, plain HTTP and the upgrade decision.
#include <cstdio>
#include <string>

#include <uvws/server.h>

// [handler]
class Api : public uvws::Handler {
 public:
  // GET /api without an Upgrade header: a health check.
  void on_http(const uvws::HTTPRequest& request, uvws::HTTPReply& reply) override {
    (void)request;
    reply.status = 200;
    reply.body = "ok\n";
  }
  // A WebSocket upgrade: refuse it without the right token.
  uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
    uvws::UpgradeDecision decision;
    if (request.header("Authorization").value_or("") != "Bearer let-me-in") {
      decision.accept = false;
      decision.status = 401;
    }
    return decision;
  }
  void on_open(uvws::WebSocket& ws) override {
    std::printf("open: %s on %.*s\n", ws.remote_address().c_str(),
                static_cast<int>(ws.path().size()), ws.path().data());
  }
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    if (message.is_text()) ws.send_text("got: " + std::string(message.text()));
  }
  void on_close(uvws::WebSocket& ws, std::uint16_t code, std::string_view reason) override {
    (void)ws;
    std::printf("closed: %u %.*s\n", code, static_cast<int>(reason.size()), reason.data());
  }
};
// [handler]

int main() {
  // [options]
  uvws::ServerOptions options;
  options.host = "0.0.0.0";  // every IPv4 address; "::" for IPv6 too
  options.port = 9001;       // 0: any free port, read it back with server.port()
  options.threads = 2;       // two loops, each on its own thread
  uvws::Server server(options);
  // [options]
  // [routes]
  Api api;
  server.route("/api", api);  // an exact path (the query is ignored)
  Api fallback;
  server.route("*", fallback);  // every other path; without it they get 404
  server.listen();              // binds now: throws std::system_error if the port is taken
  std::printf("listening on port %u\n", server.port());
  server.run();
  // [routes]
}
