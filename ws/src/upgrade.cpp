#include "upgrade.h"

#include <exception>
#include <stdexcept>

#include "log.h"
#include "server_context.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::detail {
namespace {

constexpr const char* text_plain = "text/plain; charset=utf-8";

// The request whose on_http or on_upgrade runs on this thread now (see upgrade.h): set by
// answer_request() around the application's callback only.
struct Answering {
  const ws::HTTPRequest* request = nullptr;
  const Route* route = nullptr;
  net::Loop* loop = nullptr;
  bool upgrade = false;                            // on_upgrade (defer() is allowed)
  std::shared_ptr<PendingUpgrade::State> pending;  // set by defer()
};
thread_local Answering* answering = nullptr;

// Makes `a` this thread's request being answered until the scope ends (callbacks do not nest
// on one thread, but the previous value is restored anyway).
struct AnsweringScope {
  explicit AnsweringScope(Answering& a) : previous(answering) { answering = &a; }
  ~AnsweringScope() { answering = previous; }
  AnsweringScope(const AnsweringScope&) = delete;
  AnsweringScope& operator=(const AnsweringScope&) = delete;
  Answering* previous;
};

const Answering* answering_for(const ws::HTTPRequest& request) {
  return answering != nullptr && answering->request == &request ? answering : nullptr;
}

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

RequestAnswer answer_request(const ServerShared& shared, const ws::HTTPRequest& request,
                             net::Loop& loop) {
  RequestAnswer answer;
  answer.route = shared.router.find(request.path());
  if (answer.route == nullptr) return answer;
  Handler& handler = *answer.route->endpoint.handler;
  Answering now{&request, answer.route, &loop, false, nullptr};
  AnsweringScope scope(now);
  answer.kind = RequestAnswer::Kind::respond;
  if (!request.header_has_token("Upgrade", "websocket")) {
    answer.response = answer_or_500("on_http", [&] {
      HTTPReply reply;
      handler.on_http(request, reply);
      return ws::http_response(reply.status, reply.content_type, reply.body, reply.headers);
    });
    return answer;
  }
  now.upgrade = true;
  UpgradeDecision decision;
  answer.response = answer_or_500("on_upgrade", [&] {
    decision = handler.on_upgrade(request);
    if (now.pending) return std::string();  // deferred: the decision is ignored
    if (decision.accept) {
      ws::check_accept_headers(decision.headers);  // a header the 101 cannot carry: 500
      return std::string();
    }
    return ws::http_response(decision.status, text_plain, "refused\n", decision.headers);
  });
  if (now.pending) {
    if (!answer.response.empty()) {
      abandon(*now.pending);  // on_upgrade threw after defer(): the 500 is the answer
      return answer;
    }
    answer.kind = RequestAnswer::Kind::pending;
    answer.pending = std::move(now.pending);
    return answer;
  }
  if (!answer.response.empty()) return answer;
  answer.kind = RequestAnswer::Kind::upgrade;
  answer.subprotocol = std::move(decision.subprotocol);
  answer.headers = std::move(decision.headers);
  return answer;
}

}  // namespace uvws::detail

namespace uvws {

std::string_view route_param(const HTTPRequest& request, std::string_view name) {
  const auto* a = detail::answering_for(request);
  return a != nullptr ? a->route->pattern.value(request.path(), name) : std::string_view();
}

std::string_view route_param(const HTTPRequest& request, std::size_t index) {
  const auto* a = detail::answering_for(request);
  return a != nullptr ? a->route->pattern.value(request.path(), index) : std::string_view();
}

PendingUpgrade PendingUpgrade::defer(const HTTPRequest& request) {
  auto* a = detail::answering;
  if (a == nullptr || a->request != &request || !a->upgrade) {
    throw std::logic_error(
        "uvws::PendingUpgrade::defer: call it inside on_upgrade, with its request");
  }
  if (!a->pending) a->pending = std::make_shared<State>(*a->loop);
  return PendingUpgrade(a->pending);
}

}  // namespace uvws
