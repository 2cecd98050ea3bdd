// Routes with parameters and a wildcard, per-route options, and an upgrade answered later.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <uvws/server.h>

// [params]
class Rooms : public uvws::Handler {
 public:
  // GET /rooms/42 without an Upgrade header: the parameter is there too.
  void on_http(const uvws::HTTPRequest& request, uvws::HTTPReply& reply) override {
    reply.status = 200;
    reply.body = "room " + std::string(uvws::route_param(request, "id")) + "\n";
  }
  void on_open(uvws::WebSocket& ws) override {
    // "/rooms/42?nick=ann": route() is "/rooms/:id", path() "/rooms/42", param("id") "42".
    ws.subscribe("room:" + std::string(ws.param("id")));
  }
  void on_message(uvws::WebSocket& ws, uvws::Message m) override {
    // After on_open, param() is kept only because the route asked (keep_request below).
    ws.publish("room:" + std::string(ws.param("id")), m.data(), m.opcode(), true);
  }
};
// [params]

// [deferred]
class Authenticated : public uvws::Handler {
 public:
  uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
    auto pending = uvws::PendingUpgrade::defer(request);
    std::string token(request.header("Authorization").value_or(""));
    // Another thread asks the authentication service; the loop serves others meanwhile.
    std::thread([pending, token] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the service's latency
      if (token == "Bearer let-me-in") {
        pending.accept({.user_data = new std::string("ann")});
      } else {
        pending.reject({.status = 401, .body = "who are you?\n"});
      }
    }).detach();
    // If the peer leaves (or the handshake times out) first, the session is given back.
    pending.on_abandoned([](void* session) { delete static_cast<std::string*>(session); });
    return {};  // ignored: the answer comes through `pending`
  }
  void on_open(uvws::WebSocket& ws) override {
    ws.send_text("hello " + *static_cast<std::string*>(ws.user_data()));
  }
  void on_close(uvws::WebSocket& ws, std::uint16_t, std::string_view) override {
    delete static_cast<std::string*>(ws.user_data());
  }
};
// [deferred]

int main() {
  uvws::ServerOptions options;
  options.port = 9001;
  uvws::Server server(options);
  Rooms rooms;
  Authenticated authenticated;
  uvws::Handler fallback;
  // [routes]
  uvws::RouteOptions room_options;
  room_options.keep_request = true;  // path, query and parameters for the whole connection
  room_options.idle_timeout = std::chrono::minutes(10);
  server.route("/rooms/:id", rooms, room_options);

  uvws::RouteOptions upload;
  upload.max_message_size = 64u << 20;  // this route takes files; the others keep 1 MiB
  upload.compression = uvws::ws::DeflateOptions{.enabled = true};
  server.route("/files/*", authenticated, upload);  // param("*"): the rest of the path

  server.route("*", fallback);  // everything else
  // [routes]
  server.run();
}
