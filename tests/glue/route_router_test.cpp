// The router (ws/src/router.h) as values: patterns, precedence, fallback, captures, conflicts.
#include <catch2/catch.hpp>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>

#include "router.h"

using uvws::Handler;
using uvws::detail::Route;
using uvws::detail::RoutePattern;
using uvws::detail::Router;

namespace {

// A router over routes it owns; find() answers the pattern of the route found ("" if none).
struct Routes {
  Handler handler;
  std::deque<Route> routes;  // stable addresses
  Router router;
  void add(std::string pattern) {
    routes.emplace_back(RoutePattern(std::move(pattern)), handler);
    router.add(routes.back());
  }
  std::string find(std::string_view path) const {
    const Route* r = router.find(path);
    return r != nullptr ? r->pattern.text() : std::string();
  }
};

}  // namespace

TEST_CASE("router: exact, parameter, wildcard and catch-all, in that order", "[glue][route]") {
  Routes r;
  r.add("/rooms/new");
  r.add("/rooms/:id");
  r.add("/rooms/:id/log");
  r.add("/rooms/*");
  r.add("/files/*");
  r.add("/");
  r.add("*");
  CHECK(r.find("/rooms/new") == "/rooms/new");
  CHECK(r.find("/rooms/42") == "/rooms/:id");
  // The exact "new" branch has no "log": the parameter branch is tried next.
  CHECK(r.find("/rooms/new/log") == "/rooms/:id/log");
  CHECK(r.find("/rooms/42/log") == "/rooms/:id/log");
  CHECK(r.find("/rooms/42/other") == "/rooms/*");
  CHECK(r.find("/rooms/") == "/rooms/*");  // an empty segment is no parameter
  CHECK(r.find("/rooms") == "*");
  CHECK(r.find("/files/a/b/c") == "/files/*");
  CHECK(r.find("/files/") == "/files/*");
  CHECK(r.find("/files") == "*");
  CHECK(r.find("/") == "/");
  CHECK(r.find("/nothing/here") == "*");
  CHECK(r.find("") == "*");
}

TEST_CASE("router: no catch-all means no route", "[glue][route]") {
  Routes r;
  r.add("/chat");
  r.add("/a/:b");
  CHECK(r.find("/chat") == "/chat");
  CHECK(r.find("/chat/") == "");
  CHECK(r.find("/Chat") == "");  // byte for byte
  CHECK(r.find("/a/x") == "/a/:b");
  CHECK(r.find("/a/x/y") == "");
  CHECK(r.find("/a/") == "");
}

TEST_CASE("router: a root wildcard comes before the catch-all", "[glue][route]") {
  Routes r;
  r.add("*");
  r.add("/*");
  r.add("/exact");
  CHECK(r.find("/exact") == "/exact");
  CHECK(r.find("/anything/else") == "/*");
  CHECK(r.find("/") == "/*");
  CHECK(r.find("no-slash") == "*");
}

TEST_CASE("route patterns capture parameters and the wildcard's rest", "[glue][route]") {
  const RoutePattern p("/users/:user/files/*");
  REQUIRE(p.names() == std::vector<std::string>{"user", "*"});
  CHECK_FALSE(p.exact());
  const std::string_view path = "/users/ann/files/a/b.txt";
  CHECK(p.value(path, "user") == "ann");
  CHECK(p.value(path, "*") == "a/b.txt");
  CHECK(p.value(path, std::size_t{0}) == "ann");
  CHECK(p.value(path, std::size_t{1}) == "a/b.txt");
  CHECK(p.value(path, std::size_t{2}).empty());
  CHECK(p.value(path, "missing").empty());
  CHECK(p.values(path) == std::vector<std::string_view>{"ann", "a/b.txt"});
  CHECK(RoutePattern("/users/:user/files/*").value("/users/ann/files/", "*").empty());
  CHECK(RoutePattern("/chat").exact());
  CHECK_FALSE(RoutePattern("*").exact());
  CHECK(RoutePattern("*").catch_all());
}

TEST_CASE("malformed patterns are refused", "[glue][route]") {
  for (const char* bad : {"", "chat", "/a/*/b", "/a/b*", "/a/:", "/a/:x/:x", "/**"}) {
    INFO(bad);
    CHECK_THROWS_AS(RoutePattern(bad), std::invalid_argument);
  }
}

TEST_CASE("duplicate and conflicting patterns are refused", "[glue][route]") {
  Routes r;
  r.add("/rooms/:id");
  r.add("/files/*");
  r.add("*");
  CHECK_THROWS_AS(r.add("/rooms/:id"), std::invalid_argument);
  CHECK_THROWS_WITH(r.add("/rooms/:name"), Catch::Contains(":name") && Catch::Contains(":id"));
  CHECK_THROWS_AS(r.add("/rooms/:room/log"), std::invalid_argument);
  CHECK_THROWS_AS(r.add("/files/*"), std::invalid_argument);
  CHECK_THROWS_AS(r.add("*"), std::invalid_argument);
  // The failed additions changed nothing.
  CHECK(r.find("/rooms/1") == "/rooms/:id");
  CHECK(r.find("/rooms/1/log") == "*");
}
