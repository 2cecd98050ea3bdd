// The server's answer to an HTTP request: routing, plain HTTP replies, the upgrade decision.
// Private to ws/src.
//
// answer_request() runs the application's on_http or on_upgrade for the route the request
// names and returns what the connection is to tell its ServerProtocol: reject with 404,
// reject with a whole HTTP response (a plain-HTTP reply, a refusal), or accept with a
// subprotocol and extra headers, or wait (on_upgrade deferred the answer: PendingUpgrade). It
// writes nothing and touches no connection, so the connection applies the answer with its own
// output buffer after the application code ran. While the application's callback runs, the
// request and its route are this thread's "request being answered": route_param() and
// PendingUpgrade::defer() find them there.
//
// Threads: the loop thread of the connection (the Handler's callbacks run there).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "endpoint.h"
#include "pending_upgrade.h"
#include "router.h"
#include "uvws/ws/http_request.h"

namespace uvws::detail {

struct ServerShared;

struct RequestAnswer {
  enum class Kind : std::uint8_t {
    not_found,  // no route: 404
    respond,    // `response` is the whole HTTP answer (plain HTTP, or a refused upgrade)
    upgrade,    // accept the WebSocket upgrade
    pending,    // on_upgrade deferred the answer: it comes through `pending`
  };
  Kind kind = Kind::not_found;
  const Route* route = nullptr;  // null for not_found
  std::string response;          // respond
  std::string subprotocol;       // upgrade: empty lets the server choose
  std::vector<std::pair<std::string, std::string>> headers;  // upgrade: extra 101 headers
  std::shared_ptr<PendingUpgrade::State> pending;            // pending
};

// The route for `request.path()` is looked up in `shared`; a request without
// "Upgrade: websocket" is plain HTTP for the route's on_http. A handler that throws gets a 500
// (logged); the connection then closes as after any answer. `loop` is the connection's (where
// a deferred answer is posted).
RequestAnswer answer_request(const ServerShared& shared, const ws::HTTPRequest& request,
                             net::Loop& loop);

}  // namespace uvws::detail
