// Helpers of the route tests: a server on its own thread whose routes are added with options
// (ServerThread takes handlers only), and a handler that answers with what a WebSocket tells
// about its request.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "test_client.h"
#include "uvws/route.h"
#include "uvws/server.h"

namespace uvws::test {

// A Server on its own thread: `add_routes` registers the routes before listen(); stop()s and
// joins on destruction.
class RouteServer {
 public:
  RouteServer(ServerOptions options, const std::function<void(Server&)>& add_routes)
      : server_(std::move(options)) {
    add_routes(server_);
    server_.listen();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RouteServer() {
    server_.stop();
    thread_.join();
  }
  RouteServer(const RouteServer&) = delete;
  RouteServer& operator=(const RouteServer&) = delete;

  std::uint16_t port() const { return server_.port(); }

 private:
  Server server_;
  std::thread thread_;
};

// "route|path|param0|param1|query|X-User" as the WebSocket tells them now.
inline std::string describe(const WebSocket& ws) {
  return std::string(ws.route()) + "|" + std::string(ws.path()) + "|" +
         std::string(ws.param(std::size_t{0})) + "|" + std::string(ws.param(std::size_t{1})) + "|" +
         std::string(ws.query()) + "|" + std::string(ws.header("X-User"));
}

// Sends describe() when the connection opens and in answer to every message (after on_open,
// when only what the route keeps is left).
class DescribeHandler : public Handler {
 public:
  void on_open(WebSocket& ws) override { ws.send_text("open:" + describe(ws)); }
  void on_message(WebSocket& ws, Message) override { ws.send_text("later:" + describe(ws)); }
  void on_http(const HTTPRequest& request, HTTPReply& reply) override {
    reply.status = 200;
    reply.body = "http:" + std::string(route_param(request, "id")) + "|" +
                 std::string(route_param(request, "*")) + "|" +
                 std::string(route_param(request, std::size_t{0}));
  }
};

}  // namespace uvws::test
