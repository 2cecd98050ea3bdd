// ClientProtocol: the opening request (RFC 6455 4.1), the checks on the server's answer, and
// frames that arrive with the 101.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "protocol_helpers.h"
#include "uvws/core/crypto.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

bool has_line(std::string_view message, std::string_view line) {
  return message.find(std::string("\r\n") + std::string(line) + "\r\n") != std::string::npos;
}

// A client that has sent its request, fed `response` whole or in pieces.
void check_handshake_fails(ClientProtocolOptions o, const std::string& extra, Error e,
                           int status = 101) {
  const Split split = UVWS_SPLITS();
  CAPTURE(split, extra);
  Client c(std::move(o), false);
  std::string response = response_to(c.request, extra);
  if (status != 101) {
    response =
        "HTTP/1.1 " + std::to_string(status) + " Nope\r\nContent-Length: 0\r\n" + extra + "\r\n";
  }
  feed(c, response + server_frame(0x81, "never"), split);
  CHECK(c.events() == std::vector<std::string>{failed(e)});
  CHECK(c.output().empty());
  CHECK(c->state() == State::closed);
  CHECK(c->close_expected());
  CHECK(c->close_code_to_report() == close_code::abnormal);
  CHECK(make_error_code(e) == Condition::handshake_failed);
  REQUIRE(c->response() != nullptr);
  CHECK(c->response()->status() == status);
}

}  // namespace

TEST_CASE("connect() writes an RFC 6455 4.1 request with a fresh key", "[ws][handshake]") {
  ClientProtocolOptions o;
  o.subprotocols = {"chat", "superchat"};
  o.headers = {{"Origin", "http://example.com"}};
  Client a(o, false);
  Client b(o, false);
  const std::string& r = a.request;
  CHECK(r.substr(0, 20) == "GET /chat HTTP/1.1\r\n");
  CHECK(has_line(r, "Host: server.example.com"));
  CHECK(has_line(r, "Upgrade: websocket"));
  CHECK(has_line(r, "Connection: Upgrade"));
  CHECK(has_line(r, "Sec-WebSocket-Version: 13"));
  CHECK(has_line(r, "Sec-WebSocket-Protocol: chat, superchat"));
  CHECK(has_line(r, "Origin: http://example.com"));
  CHECK(r.find("Sec-WebSocket-Extensions") == std::string::npos);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
  const auto key = uvws::core::base64_decode(key_in(r));
  REQUIRE(key);
  CHECK(key->size() == 16);
  CHECK(key_in(r) != key_in(b.request));
  CHECK(a->state() == State::connecting);
  CHECK_THROWS_AS(a->connect("h", "/", a.out), std::logic_error);
}

TEST_CASE("connect() offers permessage-deflate when enabled", "[ws][handshake][deflate]") {
  ClientProtocolOptions o;
  o.deflate.enabled = true;
  Client c(o, false);
  CHECK(
      has_line(c.request, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"));
}

TEST_CASE("connect() with a bad target throws and leaves the client unchanged", "[ws][handshake]") {
  ClientProtocolOptions o;
  RecordingListener listener;
  ClientProtocol c(o, listener);
  uvws::core::Buffer out;
  CHECK_THROWS_AS(c.connect("h", "/a b", out), std::invalid_argument);
  CHECK(out.empty());
  c.connect("h", "/ok", out);
  CHECK(out.view().substr(0, 18) == "GET /ok HTTP/1.1\r\n");
}

TEST_CASE("data before connect() is a logic error", "[ws][handshake]") {
  ClientProtocolOptions o;
  RecordingListener listener;
  ClientProtocol c(o, listener);
  uvws::core::Buffer out;
  CHECK_THROWS_AS(c.receive_data("HTTP/1.1 101 OK\r\n\r\n", out), std::logic_error);
  CHECK(out.empty());
}

TEST_CASE("a client accepts the server's 101 and then frames in the same read", "[ws][handshake]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ClientProtocolOptions o;
  o.subprotocols = {"chat", "superchat"};
  Client c(o, false);
  feed(c,
       response_to(c.request, "Sec-WebSocket-Protocol: superchat\r\n") +
           server_frame(0x81, "Hello") + server_frame(0x89, "p") + server_frame(0x02, "a") +
           server_frame(0x80, "b"),
       split);
  CHECK(c.events() == std::vector<std::string>{"response", "text Hello", "ping p", "binary ab"});
  CHECK(hex(c.output()) == hex(client_frame(0x8A, "p")));
  CHECK(c->state() == State::open);
  CHECK(c->subprotocol() == "superchat");
  CHECK_FALSE(c->compression_enabled());
  REQUIRE(c->response() != nullptr);
  CHECK(c->response()->status() == 101);
  c->release_handshake();
  CHECK(c->response() == nullptr);
  CHECK(c->subprotocol() == "superchat");
}

TEST_CASE("a client that closes from on_response still parses what came with the 101",
          "[ws][handshake][close]") {
  struct Closing : ProtocolListener {
    uvws::core::Buffer sent;  // what the callbacks sent, with a buffer of their own
    Protocol* proto = nullptr;
    std::vector<std::uint16_t> closes;
    void on_response(const HTTPResponse&) override {
      proto->send_close(close_code::going_away, {}, sent);
    }
    void on_close(std::uint16_t code, std::string_view) override { closes.push_back(code); }
  };
  ClientProtocolOptions o;
  Closing listener;
  ClientProtocol c(o, listener);
  listener.proto = &c;
  uvws::core::Buffer out;
  c.connect("h", "/", out);
  const std::string request(out.view());
  out.clear();
  c.receive_data(response_to(request) + server_frame(0x88, close_payload(1001)), out);
  CHECK(listener.closes == std::vector<std::uint16_t>{1001});
  CHECK(c.state() == State::closed);
  CHECK(listener.sent.size() == 2 + 4 + 2);  // our close, masked
  CHECK(out.empty());                        // and no second one: the server's needs no answer
}

TEST_CASE("a client fails on a status other than 101", "[ws][handshake]") {
  check_handshake_fails({}, "", Error::bad_status, GENERATE(200, 400, 403, 426));
}

TEST_CASE("a client fails on a wrong Sec-WebSocket-Accept", "[ws][handshake]") {
  Client c(ClientProtocolOptions{}, false);
  c->receive_data(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      c.out);
  CHECK(c.events() == std::vector<std::string>{failed(Error::bad_accept)});
  CHECK(c->state() == State::closed);
}

TEST_CASE("a client fails on a subprotocol it did not offer", "[ws][handshake]") {
  ClientProtocolOptions o;
  SECTION("none offered") {
    check_handshake_fails(o, "Sec-WebSocket-Protocol: chat\r\n", Error::unexpected_subprotocol);
  }
  SECTION("another one offered") {
    o.subprotocols = {"chat"};
    check_handshake_fails(o, "Sec-WebSocket-Protocol: superchat\r\n",
                          Error::unexpected_subprotocol);
  }
}

TEST_CASE("a client fails on an extension it did not offer", "[ws][handshake][deflate]") {
  ClientProtocolOptions o;
  SECTION("deflate not offered") {
    check_handshake_fails(o, "Sec-WebSocket-Extensions: permessage-deflate\r\n",
                          Error::unexpected_extension);
  }
  SECTION("deflate offered, something else accepted") {
    o.deflate.enabled = true;
    check_handshake_fails(o, "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n",
                          Error::unexpected_extension);
  }
  SECTION("deflate offered, with a parameter out of range") {
    o.deflate.enabled = true;
    check_handshake_fails(
        o, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16\r\n",
        Error::unexpected_extension);
  }
  SECTION("deflate offered, accepted twice") {
    o.deflate.enabled = true;
    check_handshake_fails(o,
                          "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                          "Sec-WebSocket-Extensions: permessage-deflate\r\n",
                          Error::unexpected_extension);
  }
}

TEST_CASE("a client enables permessage-deflate when the server accepts it",
          "[ws][handshake][deflate]") {
  ClientProtocolOptions o;
  o.deflate.enabled = true;
  Client c(o, true, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
  CHECK(c->compression_enabled());
  Client declined(o, true);
  CHECK_FALSE(declined->compression_enabled());
}

TEST_CASE("a client fails on a response over its header limit", "[ws][handshake]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ClientProtocolOptions o;
  o.http.max_header_bytes = 200;
  Client c(o, false);
  feed(c, response_to(c.request, "X-Filler: " + std::string(200, 'f') + "\r\n").substr(0, 200),
       split);
  CHECK(c.events() == std::vector<std::string>{failed(Error::headers_too_large)});
  CHECK(c.output().empty());
  CHECK(c->state() == State::closed);
}

TEST_CASE("a client fails on a malformed response", "[ws][handshake]") {
  Client c(ClientProtocolOptions{}, false);
  c->receive_data("HTTP/1.1 1O1 Switching\r\n\r\n", c.out);
  CHECK(c.events() == std::vector<std::string>{failed(Error::bad_http)});
  CHECK(c->state() == State::closed);
}
