#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "rfc6455_samples.h"
#include "uvws/ws/error.h"
#include "uvws/ws/handshake.h"

using uvws::ws::Error;
using uvws::ws::HTTPRequest;
using uvws::ws::HTTPResponse;
using uvws::ws::test::rfc_request;
using uvws::ws::test::rfc_response;
namespace ws = uvws::ws;

namespace {

constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";

const std::vector<std::string> valid_fields = {
    "Host: h", "Upgrade: websocket", "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};

std::string head(std::string_view first_line, const std::vector<std::string>& fields) {
  std::string out(first_line);
  out += "\r\n";
  for (const std::string& f : fields) out += f + "\r\n";
  return out + "\r\n";
}

// valid_fields with field i replaced by `line` (or dropped when `line` is empty).
std::vector<std::string> with(std::size_t i, const std::string& line) {
  std::vector<std::string> fields = valid_fields;
  if (line.empty()) {
    fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(i));
  } else {
    fields[i] = line;
  }
  return fields;
}

std::vector<std::string> plus(const std::string& line) {
  std::vector<std::string> fields = valid_fields;
  fields.push_back(line);
  return fields;
}

// An error as the application sees it, or no error.
std::error_code as_error_code(std::optional<Error> e) {
  return e ? make_error_code(*e) : std::error_code();
}

std::error_code check(const std::string& request_text) {
  HTTPRequest req;
  REQUIRE_FALSE(req.parse(request_text, {}));
  return as_error_code(ws::check_client_request(req));
}

std::error_code check_response(const std::string& text, const std::vector<std::string>& offered) {
  HTTPResponse res;
  REQUIRE_FALSE(res.parse(text, {}));
  return as_error_code(ws::check_server_response(res, rfc_key, offered));
}

}  // namespace

TEST_CASE("accept_key matches RFC 6455 1.3", "[ws][handshake]") {
  CHECK(ws::accept_key(rfc_key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("the RFC 6455 1.3 handshake is reproduced byte for byte", "[ws][handshake]") {
  const std::string request =
      ws::client_request("server.example.com", "/chat", rfc_key, {"chat", "superchat"}, "",
                         {{"Origin", "http://example.com"}});
  CHECK(request == rfc_request);

  HTTPRequest req;
  REQUIRE_FALSE(req.parse(request, {}));
  CHECK_FALSE(ws::check_client_request(req));
  const std::vector<std::string_view> offered = ws::offered_subprotocols(req);
  CHECK(offered == std::vector<std::string_view>{"chat", "superchat"});
  const std::vector<std::string> supported = {"chat"};
  const std::string_view chosen = ws::select_subprotocol(offered, supported);
  CHECK(chosen == "chat");
  const std::string response =
      ws::accept_response(*req.header("Sec-WebSocket-Key"), chosen, "", {});
  CHECK(response == rfc_response);

  CHECK_FALSE(check_response(response, {"chat", "superchat"}));
}

TEST_CASE("each failed request check gives its error and status", "[ws][handshake]") {
  struct Case {
    std::string request;
    Error error;
    int status;
  };
  const std::string line = "GET /chat HTTP/1.1";
  const std::vector<Case> cases = {
      Case{head("POST /chat HTTP/1.1", valid_fields), Error::bad_method, 405},
      Case{head("GET /chat HTTP/1.0", valid_fields), Error::bad_http_version, 505},
      Case{head(line, with(0, "")), Error::missing_host, 400},
      Case{head(line, plus("Host: other")), Error::missing_host, 400},
      Case{head(line, with(1, "")), Error::missing_upgrade, 426},
      Case{head(line, with(1, "Upgrade: h2c")), Error::missing_upgrade, 426},
      Case{head(line, with(2, "")), Error::missing_connection, 400},
      Case{head(line, with(2, "Connection: keep-alive")), Error::missing_connection, 400},
      Case{head(line, with(4, "")), Error::bad_version, 426},
      Case{head(line, with(4, "Sec-WebSocket-Version: 8")), Error::bad_version, 426},
      Case{head(line, with(4, "Sec-WebSocket-Version: 13, 8")), Error::bad_version, 426},
      Case{head(line, plus("Sec-WebSocket-Version: 13")), Error::bad_version, 426},
      Case{head(line, with(3, "")), Error::bad_key, 400},
      Case{head(line, with(3, "Sec-WebSocket-Key: not base64 at all!!")), Error::bad_key, 400},
      Case{head(line, with(3, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA")), Error::bad_key, 400},
      Case{head(line, with(3, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=")), Error::bad_key, 400},
      Case{head(line, plus("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==")), Error::bad_key, 400}};
  for (const Case& c : cases) {
    INFO(c.request);
    const std::error_code ec = check(c.request);
    CHECK(ec == c.error);
    CHECK(ec == ws::Condition::handshake_failed);
    CHECK(ws::http_status_for(c.error) == c.status);
    const std::string answer = ws::error_response(ec);
    CHECK(answer.starts_with("HTTP/1.1 " + std::to_string(c.status) + " "));
  }
}

TEST_CASE("request checks run in the documented order", "[ws][handshake]") {
  CHECK(check(head("POST / HTTP/1.0", {})) == Error::bad_method);
  CHECK(check(head("GET / HTTP/1.0", {})) == Error::bad_http_version);
  CHECK(check(head("GET / HTTP/1.1", {})) == Error::missing_host);
  CHECK(check(head("GET / HTTP/1.1", {"Host: h"})) == Error::missing_upgrade);
  CHECK(check(head("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket"})) ==
        Error::missing_connection);
  CHECK(check(head("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: upgrade"})) ==
        Error::bad_version);
}

TEST_CASE("request checks accept mixed case and token lists", "[ws][handshake]") {
  CHECK_FALSE(
      check(head("GET / HTTP/1.1",
                 {"host: h", "UPGRADE: WebSocket", "connection: keep-alive, Upgrade",
                  "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==", "SEC-WEBSOCKET-VERSION: 13"})));
  CHECK_FALSE(check(
      head("GET / HTTP/1.1",
           {"Host: h", "Upgrade: h2c, websocket", "Connection: keep-alive", "Connection: upgrade",
            "Sec-WebSocket-Key: " + std::string(rfc_key), "Sec-WebSocket-Version: 13"})));
}

TEST_CASE("subprotocols are collected across fields and chosen by server preference",
          "[ws][handshake]") {
  HTTPRequest req;
  const std::string text = head(
      "GET / HTTP/1.1", {"Host: h", "Sec-WebSocket-Protocol: a, b", "Sec-WebSocket-Protocol: ,c"});
  REQUIRE_FALSE(req.parse(text, {}));
  const auto offered = ws::offered_subprotocols(req);
  CHECK(offered == std::vector<std::string_view>{"a", "b", "c"});
  CHECK(ws::select_subprotocol(offered, {"c", "a"}) == "c");
  CHECK(ws::select_subprotocol(offered, {"x", "b"}) == "b");
  CHECK(ws::select_subprotocol(offered, {"A", "x"}).empty());
  CHECK(ws::select_subprotocol({}, {"a"}).empty());
}

TEST_CASE("accept_response adds extensions and extra headers", "[ws][handshake]") {
  CHECK(ws::accept_response(rfc_key, "", "permessage-deflate; client_max_window_bits=10",
                            {{"Server", "uvws"}}) ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n"
        "Server: uvws\r\n\r\n");
  CHECK_THROWS_AS(ws::accept_response(rfc_key, "chat\r\nX: y", "", {}), std::invalid_argument);
}

TEST_CASE("error_response tells a failed client what went wrong", "[ws][handshake]") {
  const std::string body = "unsupported Sec-WebSocket-Version\n";
  CHECK(ws::error_response(Error::bad_version) ==
        "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: " +
            std::to_string(body.size()) +
            "\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n" +
            body);

  HTTPResponse res;
  REQUIRE_FALSE(res.parse(ws::error_response(Error::missing_upgrade), {}));
  CHECK(res.status() == 426);
  CHECK(res.header("Upgrade") == "websocket");
  CHECK_FALSE(res.header("Sec-WebSocket-Version"));
  CHECK(res.header("Connection") == "close");

  REQUIRE_FALSE(res.parse(ws::error_response(Error::bad_method), {}));
  CHECK(res.status() == 405);
  CHECK(res.header("Allow") == "GET");

  const std::string too_large = ws::error_response(Error::headers_too_large);
  CHECK(too_large.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  CHECK(too_large.ends_with("\r\n\r\nrequest headers too large\n"));
  CHECK(ws::error_response(Error::bad_http_version).starts_with("HTTP/1.1 505 "));
  CHECK(ws::error_response(Error::origin_refused).starts_with("HTTP/1.1 403 Forbidden\r\n"));
  CHECK(ws::error_response(Error::not_found).starts_with("HTTP/1.1 404 Not Found\r\n"));

  const std::string other = ws::error_response(std::make_error_code(std::errc::io_error));
  CHECK(other.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
  CHECK(other.ends_with("\r\n\r\nInternal Server Error\n"));
}

TEST_CASE("http_response builds plain answers", "[ws][handshake]") {
  CHECK(ws::http_response(200, "text/plain", "ok\n", {{"Cache-Control", "no-store"}}) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\nok\n");
  CHECK(ws::http_response(200, "", "", {}, true) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  CHECK(ws::http_response(204, "", "", {}, true) == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK_THROWS_AS(ws::http_response(101, "", ""), std::invalid_argument);
  CHECK_THROWS_AS(ws::http_response(204, "", "x"), std::invalid_argument);
  CHECK_THROWS_AS(ws::http_response(200, "text/html\r\nX: y", ""), std::invalid_argument);
  CHECK_THROWS_AS(ws::http_response(200, "", "", {{"Content-Length", "9"}}), std::invalid_argument);
}

TEST_CASE("client_request adds extensions and refuses bad arguments", "[ws][handshake]") {
  CHECK(ws::client_request("h:9001", "/?a=b", rfc_key, {}, "permessage-deflate", {}) ==
        "GET /?a=b HTTP/1.1\r\nHost: h:9001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
  CHECK_THROWS_AS(ws::client_request("h", "", rfc_key, {}, "", {}), std::invalid_argument);
  CHECK_THROWS_AS(ws::client_request("h", "/a b", rfc_key, {}, "", {}), std::invalid_argument);
  CHECK_THROWS_AS(ws::client_request("h", "/", rfc_key, {"a,b"}, "", {}), std::invalid_argument);
  CHECK_THROWS_AS(ws::client_request("h\r\nX: y", "/", rfc_key, {}, "", {}), std::invalid_argument);
}

TEST_CASE("each failed response check gives its error", "[ws][handshake]") {
  const std::string ok_line = "HTTP/1.1 101 Switching Protocols";
  const std::vector<std::string> ok = {"Upgrade: websocket", "Connection: Upgrade",
                                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="};
  auto fields = [&](std::vector<std::string> more) {
    std::vector<std::string> f = ok;
    f.insert(f.end(), more.begin(), more.end());
    return f;
  };
  CHECK_FALSE(check_response(head(ok_line, ok), {}));
  CHECK_FALSE(check_response(head(ok_line, ok), {"chat"}));
  CHECK(check_response(head("HTTP/1.1 200 OK", ok), {}) == Error::bad_status);
  CHECK(check_response(head(ok_line, {ok[1], ok[2]}), {}) == Error::missing_upgrade);
  CHECK(check_response(head(ok_line, {ok[0], ok[2]}), {}) == Error::missing_connection);
  CHECK(check_response(head(ok_line, {ok[0], ok[1]}), {}) == Error::bad_accept);
  CHECK(check_response(head(ok_line, {ok[0], ok[1], "Sec-WebSocket-Accept: AAAA"}), {}) ==
        Error::bad_accept);
  CHECK(check_response(head(ok_line, fields({ok[2]})), {}) == Error::bad_accept);
  CHECK(check_response(head(ok_line, fields({"Sec-WebSocket-Protocol: chat"})), {}) ==
        Error::unexpected_subprotocol);
  CHECK(check_response(head(ok_line, fields({"Sec-WebSocket-Protocol: mqtt"})), {"chat"}) ==
        Error::unexpected_subprotocol);
  CHECK(check_response(head(ok_line, fields({"Sec-WebSocket-Protocol: chat, superchat"})),
                       {"chat", "superchat"}) == Error::unexpected_subprotocol);
  CHECK(check_response(
            head(ok_line, fields({"Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat"})),
            {"chat"}) == Error::unexpected_subprotocol);
  CHECK_FALSE(check_response(
      head(ok_line, fields({"Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: x"})),
      {"chat"}));
}

TEST_CASE("the client reads the negotiated extensions from the response", "[ws][handshake]") {
  HTTPResponse res;
  REQUIRE_FALSE(res.parse(ws::accept_response(rfc_key, "", "permessage-deflate", {}), {}));
  CHECK_FALSE(ws::check_server_response(res, rfc_key, {}));
  CHECK(res.header("Sec-WebSocket-Extensions") == "permessage-deflate");
}
