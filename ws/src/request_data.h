// The request data a route asks its connections to keep for their whole life
// (RouteOptions::keep_request, keep_headers): path, query, the pattern's captures and chosen
// headers. Private to ws/src.
//
// Allocated only for such routes, in the connection's extras, when the upgrade is accepted;
// other connections keep nothing once on_open has returned (the request is released then).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "router.h"
#include "uvws/ws/http_request.h"

namespace uvws::detail {

struct KeptRequest {
  std::string path;
  std::string query;
  std::vector<std::string> values;  // the pattern's captures, in RoutePattern::names() order
  std::vector<std::pair<std::string, std::string>> headers;  // the route's keep_headers found

  // The kept header `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

// What `route` keeps of `request` (nullptr when it keeps nothing).
std::unique_ptr<KeptRequest> keep_request(const Route& route, const ws::HTTPRequest& request);

}  // namespace uvws::detail
