// KeptRequest (request_data.h) and the WebSocket accessors of the request: path(), route(),
// param(), query(), header(). Each reads the request while the protocol still holds it
// (on_open), else what the route kept, else what the route's pattern alone tells.
#include "request_data.h"

#include "connection.h"

namespace uvws::detail {

std::string_view KeptRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (ws::ascii_iequals(n, name)) return v;
  }
  return {};
}

std::unique_ptr<KeptRequest> keep_request(const Route& route, const ws::HTTPRequest& request) {
  if (!route.keeps_request()) return nullptr;
  auto kept = std::make_unique<KeptRequest>();
  kept->path = request.path();
  kept->query = request.query();
  for (std::string_view v : route.pattern.values(request.path())) kept->values.emplace_back(v);
  for (const std::string& name : route.keep_headers) {
    if (auto v = request.header(name)) kept->headers.emplace_back(name, *v);
  }
  return kept;
}

}  // namespace uvws::detail

namespace uvws {
namespace {

const detail::Route* route_of(const detail::Connection& c) {
  return c.endpoint() != nullptr ? c.endpoint()->route : nullptr;
}

template <class Key>
std::string_view param_of(const detail::Connection& c, Key key) {
  const detail::Route* route = route_of(c);
  if (route == nullptr) return {};
  if (const auto* request = c.request()) return route->pattern.value(request->path(), key);
  const detail::KeptRequest* kept = c.kept_request();
  if (kept == nullptr) return {};
  if constexpr (std::is_same_v<Key, std::size_t>) {
    return key < kept->values.size() ? std::string_view(kept->values[key]) : std::string_view();
  } else {
    const auto& names = route->pattern.names();
    for (std::size_t i = 0; i < names.size() && i < kept->values.size(); ++i) {
      if (names[i] == key) return kept->values[i];
    }
    return {};
  }
}

}  // namespace

std::string_view WebSocket::path() const {
  const detail::Route* route = route_of(self());
  if (route == nullptr) return {};
  if (const auto* request = self().request()) return request->path();
  if (const detail::KeptRequest* kept = self().kept_request()) return kept->path;
  return route->pattern.exact() ? std::string_view(route->pattern.text()) : std::string_view();
}

std::string_view WebSocket::route() const {
  const detail::Route* route = route_of(self());
  return route != nullptr ? std::string_view(route->pattern.text()) : std::string_view();
}

std::string_view WebSocket::param(std::string_view name) const {
  return param_of(self(), name);
}

std::string_view WebSocket::param(std::size_t index) const {
  return param_of(self(), index);
}

std::string_view WebSocket::query() const {
  if (const auto* request = self().request()) return request->query();
  if (const detail::KeptRequest* kept = self().kept_request()) return kept->query;
  return {};
}

std::string_view WebSocket::header(std::string_view name) const {
  if (const auto* request = self().request()) return request->header(name).value_or("");
  if (const detail::KeptRequest* kept = self().kept_request()) return kept->header(name);
  return {};
}

}  // namespace uvws
