#include "upgrade.h"

#include <exception>

#include "log.h"
#include "server_context.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::detail {
namespace {

constexpr const char* text_plain = "text/plain; charset=utf-8";

// Runs the application's `callback` (on_http or on_upgrade, named by `what`) and what builds
// the answer from its result: anything thrown — by the handler, or by an answer it filled in
// that cannot be sent (a status outside 200..999, a body on a 204) — is logged and answered
// with 500, so the peer always gets an HTTP answer.
template <class F>
std::string answer_or_500(const char* what, F&& callback) {
  try {
    return callback();
  } catch (const std::exception& e) {
    logger().error("{} threw: {}; answering 500", what, e.what());
  } catch (...) {
    logger().error("{} threw a non-std exception; answering 500", what);
  }
  return ws::http_response(500, text_plain, "500 Internal Server Error\n", {});
}

}  // namespace

RequestAnswer answer_request(const ServerShared& shared, const ws::HTTPRequest& request) {
  RequestAnswer answer;
  answer.route = shared.find_route(request.path());
  if (answer.route == nullptr) return answer;
  Handler& handler = *answer.route->handler;
  answer.kind = RequestAnswer::Kind::respond;
  if (!request.header_has_token("Upgrade", "websocket")) {
    answer.response = answer_or_500("on_http", [&] {
      HTTPReply reply;
      handler.on_http(request, reply);
      return ws::http_response(reply.status, reply.content_type, reply.body, reply.headers);
    });
    return answer;
  }
  UpgradeDecision decision;
  answer.response = answer_or_500("on_upgrade", [&] {
    decision = handler.on_upgrade(request);
    if (decision.accept) {
      ws::check_accept_headers(decision.headers);  // a header the 101 cannot carry: 500
      return std::string();
    }
    return ws::http_response(decision.status, text_plain, "refused\n", decision.headers);
  });
  if (!answer.response.empty()) return answer;
  answer.kind = RequestAnswer::Kind::upgrade;
  answer.subprotocol = std::move(decision.subprotocol);
  answer.headers = std::move(decision.headers);
  return answer;
}

}  // namespace uvws::detail
