// Routes and the router that finds one for a request path. Private to ws/src.
//
// A pattern is "*" (the catch-all) or a path of '/'-separated segments, each one of:
//   exact      "rooms"  matches that segment only (compared byte for byte, not decoded);
//   parameter  ":id"    matches any one non-empty segment, captured as "id";
//   wildcard   "*"      the last segment only: matches the rest of the path (one or more
//                       segments, possibly empty ones), captured as "*".
// find() walks a tree of the patterns' segments: at each node an exact child is tried first,
// then the parameter child, then the node's wildcard; the catch-all comes last. A branch that
// fails further down falls back to the next choice (so "/rooms/new" and "/rooms/:id/log" both
// work), which visits each tree node at most once: the cost is O(path segments) when no exact
// segment shadows a parameter, and at most the size of the tree otherwise.
//
// Threads: built by Server::route() before the loops start, read-only afterwards.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "endpoint.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::detail {

// A parsed route pattern (see the file comment).
class RoutePattern {
 public:
  // Throws std::invalid_argument for a malformed pattern (not "*" and not starting with '/',
  // an empty or repeated parameter name, '*' anywhere but a whole last segment).
  explicit RoutePattern(std::string text);

  const std::string& text() const { return text_; }
  bool catch_all() const { return catch_all_; }
  // Neither parameters nor a wildcard: the pattern is the only path it matches.
  bool exact() const { return !catch_all_ && names_.empty(); }
  const std::vector<std::string>& segments() const { return segments_; }
  // The captured names in path order; "*" (last) for a wildcard.
  const std::vector<std::string>& names() const { return names_; }

  // The value captured as `name` (or the `index`-th capture) from `path`, a path this pattern
  // matched; empty when there is no such capture. A view into `path`.
  std::string_view value(std::string_view path, std::string_view name) const;
  std::string_view value(std::string_view path, std::size_t index) const;
  // Every capture, in names() order.
  std::vector<std::string_view> values(std::string_view path) const;

 private:
  std::string text_;
  std::vector<std::string> segments_;
  std::vector<std::string> names_;
  bool catch_all_ = false;
};

// A route: its pattern, its Handler (in `endpoint`) and the settings and protocol options it
// runs with (the server's, overridden by its RouteOptions). Owned by ServerShared, at a
// stable address: connections point to `endpoint`.
struct Route {
  Route(RoutePattern p, Handler& handler) : pattern(std::move(p)) {
    endpoint.path = pattern.text();
    endpoint.handler = &handler;
    endpoint.settings = &settings;
    endpoint.route = this;
  }
  Route(const Route&) = delete;
  Route& operator=(const Route&) = delete;

  // The protocol options for a connection of this route (frame mode when its handler asks).
  const ws::ServerProtocolOptions& protocol_for(const Handler& handler) const {
    return handler.frame_mode() ? protocol_frame_mode : protocol;
  }
  // The connection keeps its request data (path, query, parameters, keep_headers).
  bool keeps_request() const { return keep_request || !keep_headers.empty(); }

  RoutePattern pattern;
  ConnectionSettings settings;
  ws::ServerProtocolOptions protocol;
  ws::ServerProtocolOptions protocol_frame_mode;
  bool keep_request = false;
  std::vector<std::string> keep_headers;
  Endpoint endpoint;
};

// The tree of the routes' patterns (see the file comment).
class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Adds `route` (which must outlive the router). Throws std::invalid_argument, naming both
  // patterns, for a pattern registered twice or one that conflicts with an earlier one: the
  // same parameter position under another name, or a second wildcard at the same place.
  void add(const Route& route);
  // The route for `path` (the request target without its query), or nullptr.
  const Route* find(std::string_view path) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  const Route* catch_all_ = nullptr;
};

}  // namespace uvws::detail
