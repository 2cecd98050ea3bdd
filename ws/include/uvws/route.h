// What a route gives its Handler beyond handler.h: per-route options, the parameters its
// pattern captured, and the asynchronous upgrade.
//
//   uvws::RouteOptions big{.max_message_size = 64u << 20, .keep_request = true};
//   server.route("/files/*", files_handler, big);
//   server.route("/rooms/:id", room_handler);
//
//   // In on_upgrade: answer later (e.g. after asking an authentication service).
//   uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
//     auto pending = uvws::PendingUpgrade::defer(request);
//     auth_pool.submit([pending, token = std::string(request.header("Authorization").value_or(""))]
//     {
//       if (check(token)) pending.accept({.user_data = new Session(token)});
//       else pending.reject({.status = 401, .body = "who are you?\n"});
//     });
//     return {};  // ignored once defer() was called
//   }
//
// Patterns and their precedence are described at Server::route (server.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/websocket.h"
#include "uvws/ws/http_request.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws {

using ws::HTTPRequest;

// Options of one route (Server::route). Each field that is set overrides the ServerOptions
// field of the same name for the route's connections; an unset one keeps the server's. Checked
// as ServerOptions are: Server::route throws std::invalid_argument naming a bad field.
struct UVWS_EXPORT RouteOptions {
  std::optional<std::size_t> max_message_size{};             // a larger message closes with 1009
  std::optional<std::size_t> max_frame_size{};               // a larger frame closes with 1009
  std::optional<std::chrono::milliseconds> idle_timeout{};   // 0 = off
  std::optional<std::chrono::milliseconds> ping_interval{};  // 0 = off
  std::optional<ws::DeflateOptions> compression{};           // permessage-deflate for this route
  std::optional<std::size_t> max_backpressure{};             // bytes queued before the policy
  std::optional<BackpressurePolicy> backpressure_policy{};   // drop, or close with 1008

  // Keep the request's path, query and the pattern's parameters for the connection's whole
  // life (WebSocket::path(), query(), param()), instead of during on_open only. Costs one
  // allocation per connection holding those strings; off by default, so that an idle
  // connection stays small.
  bool keep_request = false;
  // Request headers to keep for the connection's whole life (WebSocket::header(), names
  // compared case-insensitively); non-empty implies keep_request.
  std::vector<std::string> keep_headers{};
};

// During on_http and on_upgrade (and on the loop thread only): the value the route's pattern
// captured from `request`'s path as `name` (":id" captures "id", a trailing "*" captures "*",
// the rest of the path), or the `index`-th capture in path order. Empty when there is no such
// capture, or when `request` is not the one being answered on this thread. Values are the raw
// path bytes (not percent-decoded). Inside on_open and later, use WebSocket::param().
UVWS_EXPORT std::string_view route_param(const HTTPRequest& request, std::string_view name);
// The `index`-th capture of `request`'s path, in path order (see the overload above).
UVWS_EXPORT std::string_view route_param(const HTTPRequest& request, std::size_t index);

// How a PendingUpgrade accepts: as UpgradeDecision, plus the connection's user data.
struct UVWS_EXPORT UpgradeAccept {
  // The subprotocol to answer with (one the client offered); empty lets the server choose.
  std::string subprotocol{};
  // Extra 101 response headers (not the handshake's own: std::invalid_argument).
  std::vector<std::pair<std::string, std::string>> headers{};
  // The connection's user_data() from on_open on (not owned; see PendingUpgrade::on_abandoned
  // for what happens to it if the connection never opens).
  void* user_data = nullptr;
};

// How a PendingUpgrade refuses: a whole HTTP response, after which the connection closes.
struct UVWS_EXPORT UpgradeReject {
  int status = 403;  // 200..999 (else std::invalid_argument); not 101
  std::string content_type = "text/plain; charset=utf-8";      // of the body
  std::string body = "refused\n";                              // the response body
  std::vector<std::pair<std::string, std::string>> headers{};  // extra response headers
};

// An upgrade whose answer comes later, from any thread (see the file comment). Made by
// defer() inside on_upgrade; copies share one answer. The handshake timeout still runs while
// it waits; if it expires, or the peer leaves, or the server stops first, the connection ends
// (the handler's on_error gets the timeout or the peer's departure, with ws == nullptr) and
// on_abandoned runs. Frames a client sends before the answer wait for it (up to
// max_header_bytes; more fails the handshake with 400).
//
// Threads: accept(), reject() and pending() from any thread; the answer is posted to the
// connection's loop and applied there (so even on the loop thread it takes effect after the
// current callback). Safe at any time, also after the connection or the Server is gone
// (they return false then).
class UVWS_EXPORT PendingUpgrade {
 public:
  // An empty object: accept() and reject() return false.
  PendingUpgrade() = default;

  // Inside on_upgrade, for the request it was given (on the loop thread): the upgrade will be
  // answered through the returned object, and what on_upgrade returns is ignored. Throws
  // std::logic_error elsewhere. Called again for the same request, it returns the same object.
  static PendingUpgrade defer(const HTTPRequest& request);

  // Answers 101 (the checks of a synchronous accept still apply: Origin, extensions; a
  // subprotocol the client did not offer answers 500). True when this call gave the answer;
  // false when an answer was given already or the connection is known to be gone (a late
  // answer is a no-op). A true answer may still find the connection gone when it reaches the
  // loop: on_abandoned then runs with `user_data`.
  bool accept(UpgradeAccept answer = {}) const;
  // Answers with `answer` and closes; true/false as for accept(). Throws
  // std::invalid_argument for a status outside 200..999 or a body that status cannot carry.
  bool reject(UpgradeReject answer = {}) const;
  // No answer yet and the connection not known to be gone (a hint from other threads).
  bool pending() const;

  // Runs `callback` on the loop thread when the connection ends before an answer took effect
  // (timeout, the peer left, the server stopped, or the answer arrived too late), with the
  // user_data of an accept() that could not take effect (nullptr otherwise), so that the
  // application can free it. Set it inside on_upgrade; set later, after the connection ended,
  // it runs at once on the calling thread.
  void on_abandoned(std::function<void(void* user_data)> callback) const;

  // True if this object came from defer().
  explicit operator bool() const { return static_cast<bool>(state_); }

  struct State;  // opaque: shared by the connection and the copies

 private:
  explicit PendingUpgrade(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace uvws
