#include "upgrade.h"

#include <exception>

#include "server_context.h"
#include "uvws/core/log.h"
#include "uvws/ws/handshake.h"

namespace uvws::detail {
namespace {

spdlog::logger& logger() {
  return core::log(core::Layer::ws);
}

constexpr const char* text_plain = "text/plain; charset=utf-8";

std::string reply_to_http(const ws::HTTPRequest& request, Handler& handler) {
  HTTPReply reply;
  try {
    handler.on_http(request, reply);
  } catch (const std::exception& e) {
    logger().error("on_http threw: {}", e.what());
    reply = HTTPReply{500, text_plain, "500 Internal Server Error\n", {}};
  } catch (...) {
    logger().error("on_http threw a non-std exception");
    reply = HTTPReply{500, text_plain, "500 Internal Server Error\n", {}};
  }
  return ws::http_response(reply.status, reply.content_type, reply.body, reply.headers);
}

}  // namespace

RequestAnswer answer_request(const ServerShared& shared, const ws::HTTPRequest& request) {
  RequestAnswer answer;
  answer.route = shared.find_route(request.path());
  if (answer.route == nullptr) return answer;
  Handler& handler = *answer.route->handler;
  answer.kind = RequestAnswer::Kind::respond;
  if (!request.header_has_token("Upgrade", "websocket")) {
    answer.response = reply_to_http(request, handler);
    return answer;
  }
  UpgradeDecision decision;
  try {
    decision = handler.on_upgrade(request);
  } catch (const std::exception& e) {
    logger().error("on_upgrade threw: {}", e.what());
    decision.accept = false;
    decision.status = 500;
  } catch (...) {
    logger().error("on_upgrade threw a non-std exception");
    decision.accept = false;
    decision.status = 500;
  }
  if (!decision.accept) {
    answer.response = ws::http_response(decision.status, text_plain, "refused\n", decision.headers);
    return answer;
  }
  answer.kind = RequestAnswer::Kind::upgrade;
  answer.subprotocol = std::move(decision.subprotocol);
  answer.headers = std::move(decision.headers);
  return answer;
}

}  // namespace uvws::detail
