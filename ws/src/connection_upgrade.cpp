// The server side's answer to the opening handshake (Connection members, connection.h): the
// route is found and its answer applied, at once or, when on_upgrade deferred it
// (PendingUpgrade), once the answer has been posted to this connection's loop.
#include <exception>
#include <string_view>
#include <utility>

#include "connection.h"
#include "log.h"
#include "upgrade.h"
#include "uvws/ws/handshake.h"

namespace uvws::detail {

namespace {

// The status of a whole HTTP answer ("HTTP/1.1 NNN ..."), 0 when it has none.
int status_of(std::string_view response) {
  if (response.size() < 12) return 0;
  int status = 0;
  for (char c : response.substr(9, 3)) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

}  // namespace

void Connection::count_answer(const ws::HTTPRequest& request, int status) {
  LoopMetrics& m = ctx().metrics;
  const bool upgrade = request.header_has_token("Upgrade", "websocket");
  (upgrade ? m.handshakes : m.http_responses).add(static_cast<unsigned>(status));
}

void Connection::request_received(const ws::HTTPRequest& request) {
  RequestAnswer answer = answer_request(ctx().shared, request, loop());
  endpoint_ = answer.route != nullptr ? &answer.route->endpoint : nullptr;
  // The route's limits and compression from now on (the server's were in force until the
  // route was known; the header limits are the server's for every route).
  if (answer.route != nullptr) {
    server_protocol().set_options(answer.route->protocol_for(*endpoint_->handler));
  }
  switch (answer.kind) {
    case RequestAnswer::Kind::not_found:
      count_answer(request, 404);
      server_protocol().reject(ws::Error::not_found, send_buffer());
      return;
    case RequestAnswer::Kind::respond:
      count_answer(request, status_of(answer.response));
      server_protocol().reject(answer.response, send_buffer());
      return;
    case RequestAnswer::Kind::pending:
      hold_upgrade(std::move(answer.pending));
      return;
    case RequestAnswer::Kind::upgrade:
      break;
  }
  accept_upgrade(answer.subprotocol, std::move(answer.headers), nullptr);
}

bool Connection::accept_upgrade(std::string_view subprotocol,
                                std::vector<std::pair<std::string, std::string>> headers,
                                void* user_data) {
  ws::ServerProtocol::AcceptOptions accept;
  accept.subprotocol = subprotocol;
  accept.headers = std::move(headers);
  if (server_protocol().accept(accept, send_buffer())) return false;  // protocol_failed ran
  user_data_ = user_data;
  if (auto kept = keep_request(*endpoint_->route, *server_protocol().request())) {
    extras().kept = std::move(kept);
  }
  ctx().metrics.handshakes.add(101);
  opened_websocket();
  // The request was only for on_open (query(), header()); an open connection keeps none
  // unless its route asked (kept above).
  server_protocol().release_handshake();
  return true;
}

void Connection::hold_upgrade(std::shared_ptr<PendingUpgrade::State> state) {
  state->conn = this;
  extras().pending = std::move(state);
  // The handshake timer armed at accept keeps running: it bounds the wait for the answer.
}

void Connection::answer_deferred() {
  // A connection that is ending already (TCP closing) gets nothing more: on_closed abandons.
  if (!upgrade_pending() || closing() || stage_ != Stage::handshake) return;
  std::shared_ptr<PendingUpgrade::State> state = std::move(extras_->pending);
  state->conn = nullptr;
  bool accept = false;
  UpgradeAccept accepted;
  std::string response;
  {
    std::lock_guard lock(state->mutex);
    accept = state->accept;
    accepted = state->accepted;  // copied: abandon() may still need its user_data
    response = std::move(state->response);
  }
  if (!accept) {
    if (const ws::HTTPRequest* request = server_protocol().request()) {
      count_answer(*request, status_of(response));
    }
    server_protocol().reject(response, send_buffer());
    applied(*state);
  } else {
    bool opened = false;
    try {
      opened =
          accept_upgrade(accepted.subprotocol, std::move(accepted.headers), accepted.user_data);
    } catch (const std::exception& e) {
      // A subprotocol the client did not offer: the application's mistake, answered 500.
      logger().error("PendingUpgrade::accept: {}; answering 500", e.what());
      server_protocol().reject(
          ws::http_response(500, "text/plain; charset=utf-8", "500 Internal Server Error\n", {}),
          send_buffer());
    }
    if (opened) {
      applied(*state);
    } else {
      abandon(*state);  // its user data never reached a connection
    }
  }
  resume_deferred();
}

void Connection::abandon_pending_upgrade() {
  std::shared_ptr<PendingUpgrade::State> state = std::move(extras_->pending);
  state->conn = nullptr;
  abandon(*state);
}

}  // namespace uvws::detail
