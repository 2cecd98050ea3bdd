// ServerProtocol: the opening handshake (RFC 6455 4.2), its limits and answers, subprotocol,
// Origin and permessage-deflate negotiation, frames that arrive with the request, and
// switching options while connecting. (Zero-copy delivery: protocol_zero_copy_test.cpp.)
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool has_line(std::string_view response, std::string_view line) {
  return response.find(std::string("\r\n") + std::string(line) + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("a server answers RFC 6455 1.3's request with RFC 6455 1.3's 101",
          "[ws][handshake][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.subprotocols = {"chat"};
  Server s(o, false);
  feed(s, rfc_request, split);
  CHECK(s.events() == std::vector<std::string>{"request"});
  REQUIRE(s->request() != nullptr);
  CHECK(s->request()->path() == "/chat");
  CHECK(s->request()->header("Origin") == "http://example.com");
  CHECK(s->state() == State::connecting);
  CHECK(s.output().empty());
  CHECK(s->accept({}, s.out) == std::error_code());
  CHECK(s.output() == rfc_response);
  CHECK(s->state() == State::open);
  CHECK(s->subprotocol() == "chat");
  CHECK_FALSE(s->compression_enabled());
  s->release_handshake();
  CHECK(s->request() == nullptr);
  CHECK(s->subprotocol() == "chat");
  s->receive_data(client_frame(0x81, "Hello"), s.out);
  CHECK(s.events() == std::vector<std::string>{"text Hello"});
}

TEST_CASE("a server answers requests over its header limits with 431", "[ws][handshake]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.http.max_header_bytes = 256;
  o.http.max_headers = 10;
  SECTION("a block over max_header_bytes, failing once that many bytes came") {
    Server s(o, false);
    const std::string big = request_with("X-Filler: " + std::string(200, 'f') + "\r\n");
    REQUIRE(big.size() > 256);
    feed(s, big.substr(0, 256), split);
    CHECK(s.events() == std::vector<std::string>{failed(Error::headers_too_large)});
    CHECK(starts_with(s.output(), "HTTP/1.1 431 "));
    CHECK(s->state() == State::closed);
    CHECK(s->close_expected());
  }
  SECTION("more header fields than max_headers") {
    Server s(o, false);
    feed(s, request_with("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), split);  // 11 fields
    CHECK(s.events() == std::vector<std::string>{failed(Error::headers_too_large)});
    CHECK(starts_with(s.output(), "HTTP/1.1 431 "));
  }
  SECTION("a block of exactly max_header_bytes passes") {
    Server s(o, false);
    std::string r = request_with("X-Filler: \r\n");
    r = request_with("X-Filler: " + std::string(256 - r.size(), 'f') + "\r\n");
    REQUIRE(r.size() == 256);
    feed(s, r, split);
    CHECK(s.events() == std::vector<std::string>{"request"});
  }
}

TEST_CASE("a server refuses malformed requests with 400 before on_request", "[ws][handshake]") {
  Server s(ServerProtocolOptions{}, false);
  s->receive_data("GET /chat HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n", s.out);
  CHECK(s.events() == std::vector<std::string>{failed(Error::bad_http)});
  CHECK(starts_with(s.output(), "HTTP/1.1 400 "));
  CHECK(s->state() == State::closed);
}

TEST_CASE("frames that come with the request wait for accept() and resume()", "[ws][handshake]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s(ServerProtocolOptions{}, false);
  const Bytes frames = client_frame(0x81, "Hello") + client_frame(0x89, "p");
  feed(s, std::string(rfc_request) + frames.substr(0, 9), split);
  CHECK(s.events() == std::vector<std::string>{"request"});
  feed(s, frames.substr(9), split);  // still held: the request is not answered
  CHECK(s.listener.events.empty());
  REQUIRE(s->accept({}, s.out) == std::error_code());
  CHECK(s.listener.events.empty());  // not before the application's on_open
  CHECK(starts_with(s.output(), "HTTP/1.1 101 "));
  s->resume(s.out);
  CHECK(s.events() == std::vector<std::string>{"text Hello", "ping p"});
  CHECK(s.output() == server_frame(0x8A, "p"));
  s->resume(s.out);  // nothing more
  CHECK(s.listener.events.empty());
}

TEST_CASE("resume() after an accept and a close parses the held frames", "[ws][handshake]") {
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(
      std::string(rfc_request) + client_frame(0x81, "x") + client_frame(0x88, close_payload(1000)),
      s.out);
  REQUIRE(s->accept({}, s.out) == std::error_code());
  REQUIRE(s->send_close(close_code::going_away, {}, s.out));
  s.listener.take();
  s.out.clear();
  s->resume(s.out);
  CHECK(s.events() == std::vector<std::string>{"text x", "close 1000 "});
  CHECK(s.output().empty());
  CHECK(s->state() == State::closed);
}

TEST_CASE("a server may accept and resume from inside on_request", "[ws][handshake]") {
  // The glue's way: the answer goes to a buffer of the callback's own, written before what
  // the receive_data() call owes (here the pong), so the 101 always comes first.
  struct Accepting : ViewListener {
    ServerProtocol* server = nullptr;
    bool resume = false;
    uvws::core::Buffer answer;
    void on_request(const HTTPRequest&) override {
      REQUIRE(server->accept({}, answer) == std::error_code());
      if (resume) server->resume(answer);
    }
  };
  const bool in_place = GENERATE(false, true);
  const bool resume = GENERATE(false, true);
  CAPTURE(in_place, resume);
  ServerProtocolOptions o;
  Accepting listener;
  listener.resume = resume;
  ServerProtocol s(o, listener);
  listener.server = &s;
  uvws::core::Buffer out;
  feed_piece(s, out,
             std::string(rfc_request) + client_frame(0x81, "Hello") + client_frame(0x89, "p") +
                 client_frame(0x82, "Wo"),
             in_place);
  feed_piece(s, out, client_frame(0x82, "rld").substr(0, 3), in_place);
  feed_piece(s, out, client_frame(0x82, "rld").substr(3), in_place);
  CHECK(listener.messages == std::vector<std::string>{"Hello", "Wo", "rld"});
  const std::string answer(listener.answer.view());
  REQUIRE(starts_with(answer, "HTTP/1.1 101 "));
  // The pong is owed by the frames parsed with the request: resume() puts it after the 101
  // in its own buffer, otherwise the receive_data() call's `out` holds it.
  const Bytes pong = server_frame(0x8A, "p");
  CHECK(hex(std::string(answer.substr(answer.find("\r\n\r\n") + 4))) == hex(resume ? pong : ""));
  CHECK(hex(std::string(out.view())) == hex(resume ? "" : pong));
}

TEST_CASE("reject() answers with an HTTP error and closes", "[ws][handshake]") {
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(std::string(rfc_request) + client_frame(0x81, "ignored"), s.out);
  REQUIRE(s.events() == std::vector<std::string>{"request"});
  SECTION("with an Error") {
    s->reject(Error::not_found, s.out);
    CHECK(s.events() == std::vector<std::string>{failed(Error::not_found)});
    const std::string out = s.output();
    CHECK(starts_with(out, "HTTP/1.1 404 "));
    CHECK(has_line(out, "Connection: close"));
  }
  SECTION("with the application's own response") {
    const std::string answer = http_response(401, "text/plain", "who are you?\n");
    s->reject(answer, s.out);
    CHECK(s.events() == std::vector<std::string>{failed(Error::rejected)});
    CHECK(s.output() == answer);
  }
  CHECK(s->state() == State::closed);
  CHECK(s->close_expected());
  s->resume(s.out);
  s->receive_data(client_frame(0x81, "later"), s.out);
  CHECK(s.listener.events.empty());
  CHECK_THROWS_AS(s->accept({}, s.out), std::logic_error);
  CHECK_THROWS_AS(s->reject(Error::not_found, s.out), std::logic_error);
  CHECK_THROWS_AS(s->reject("HTTP/1.1 500 x\r\n\r\n", s.out), std::logic_error);
}

TEST_CASE("accept() and reject() need an unanswered request", "[ws][handshake]") {
  Server s(ServerProtocolOptions{}, false);
  CHECK_THROWS_AS(s->accept({}, s.out), std::logic_error);
  s->receive_data(rfc_request, s.out);
  REQUIRE(s->accept({}, s.out) == std::error_code());
  s.out.clear();
  CHECK_THROWS_AS(s->accept({}, s.out), std::logic_error);
  CHECK_THROWS_AS(s->reject(Error::not_found, s.out), std::logic_error);
  CHECK(s->state() == State::open);
  CHECK(s.output().empty());
}

TEST_CASE("accept() answers a request that is not a valid upgrade with its error",
          "[ws][handshake]") {
  struct Row {
    std::string request;
    Error error;
    const char* status_line;
  };
  const Row row = GENERATE(
      Row{request_with("").replace(0, 3, "PUT"), Error::bad_method, "HTTP/1.1 405 "},
      Row{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", Error::missing_upgrade, "HTTP/1.1 426 "},
      Row{"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
          Error::bad_version, "HTTP/1.1 426 "},
      Row{"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
          Error::bad_key, "HTTP/1.1 400 "});
  CAPTURE(row.request);
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(row.request, s.out);
  REQUIRE(s.events() == std::vector<std::string>{"request"});
  CHECK(s->accept({}, s.out) == make_error_code(row.error));
  CHECK(s.events() == std::vector<std::string>{failed(row.error)});
  const std::string out = s.output();
  CHECK(starts_with(out, row.status_line));
  if (row.error == Error::bad_version) CHECK(has_line(out, "Sec-WebSocket-Version: 13"));
  CHECK(s->state() == State::closed);
}

TEST_CASE("a server selects the subprotocol", "[ws][handshake]") {
  ServerProtocolOptions o;
  o.subprotocols = {"superchat", "chat"};
  Server s(o, false);
  s->receive_data(rfc_request, s.out);
  s.listener.take();
  SECTION("its first preference the client offered") {
    REQUIRE(s->accept({}, s.out) == std::error_code());
    CHECK(has_line(s.output(), "Sec-WebSocket-Protocol: superchat"));
    CHECK(s->subprotocol() == "superchat");
  }
  SECTION("the application's choice among the offered") {
    ServerProtocol::AcceptOptions a;
    a.subprotocol = "chat";
    a.headers = {{"X-Server", "uvws"}};
    REQUIRE(s->accept(a, s.out) == std::error_code());
    const std::string out = s.output();
    CHECK(has_line(out, "Sec-WebSocket-Protocol: chat"));
    CHECK(has_line(out, "X-Server: uvws"));
    CHECK(s->subprotocol() == "chat");
  }
  SECTION("never one the client did not offer") {
    ServerProtocol::AcceptOptions a;
    a.subprotocol = "mqtt";
    CHECK_THROWS_AS(s->accept(a, s.out), std::logic_error);
    CHECK(s->state() == State::connecting);
    CHECK(s.output().empty());
  }
}

TEST_CASE("a server without a common subprotocol answers without one", "[ws][handshake]") {
  ServerProtocolOptions o;
  o.subprotocols = {"mqtt"};
  Server s(o, false);
  s->receive_data(rfc_request, s.out);
  REQUIRE(s->accept({}, s.out) == std::error_code());
  CHECK(s.output().find("Sec-WebSocket-Protocol") == std::string::npos);
  CHECK(s->subprotocol().empty());
}

TEST_CASE("a server with an Origin allow-list refuses other origins with 403", "[ws][handshake]") {
  ServerProtocolOptions o;
  SECTION("allowed, compared case-insensitively") {
    o.allowed_origins = {"https://other.example", "HTTP://Example.com"};
    Server s(o, false);
    s->receive_data(rfc_request, s.out);
    CHECK(s->accept({}, s.out) == std::error_code());
    CHECK(s->state() == State::open);
  }
  SECTION("another origin") {
    o.allowed_origins = {"https://example.com"};
    Server s(o, false);
    s->receive_data(rfc_request, s.out);
    s.listener.take();
    CHECK(s->accept({}, s.out) == make_error_code(Error::origin_refused));
    CHECK(s.events() == std::vector<std::string>{failed(Error::origin_refused)});
    CHECK(starts_with(s.output(), "HTTP/1.1 403 "));
    CHECK(s->state() == State::closed);
  }
  SECTION("no Origin at all") {
    o.allowed_origins = {"http://example.com"};
    Server s(o, false);
    std::string r(rfc_request);
    r.erase(r.find("Origin: "), std::string_view("Origin: http://example.com\r\n").size());
    s->receive_data(r, s.out);
    CHECK(s->accept({}, s.out) == make_error_code(Error::origin_refused));
    CHECK(starts_with(s.output(), "HTTP/1.1 403 "));
  }
}

TEST_CASE("permessage-deflate negotiation shows in the 101 and compression_enabled()",
          "[ws][handshake][deflate]") {
  ServerProtocolOptions o;
  o.deflate.enabled = GENERATE(true, false);
  const bool offered = GENERATE(true, false);
  CAPTURE(o.deflate.enabled, offered);
  Server s(o, false);
  s->receive_data(request_with(offered ? "Sec-WebSocket-Extensions: x-unknown\r\n"
                                         "Sec-WebSocket-Extensions: permessage-deflate; "
                                         "client_max_window_bits\r\n"
                                       : ""),
                  s.out);
  REQUIRE(s->accept({}, s.out) == std::error_code());
  const std::string out = s.output();
  const bool on = o.deflate.enabled && offered;
  CHECK(s->compression_enabled() == on);
  CHECK(has_line(out, "Sec-WebSocket-Extensions: permessage-deflate") == on);
  CHECK((out.find("Sec-WebSocket-Extensions") != std::string::npos) == on);
}

namespace {

template <class P, class O>
concept can_set_options = requires(P& p, const O& o) {
  p.set_options(o);
};

// Only a ServerProtocolOptions can be given to a server (accept() reads its allowed_origins),
// and options must outlive the protocol, so temporaries are refused.
static_assert(can_set_options<ServerProtocol, ServerProtocolOptions>);
static_assert(!can_set_options<ServerProtocol, ProtocolOptions>);
static_assert(!can_set_options<Protocol, ProtocolOptions>);
static_assert(!can_set_options<ClientProtocol, ClientProtocolOptions>);
static_assert(!std::is_constructible_v<ServerProtocol, ServerProtocolOptions&&, ProtocolListener&>);
static_assert(!std::is_constructible_v<ClientProtocol, ClientProtocolOptions&&, ProtocolListener&>);
static_assert(!std::is_constructible_v<ServerProtocol, const ProtocolOptions&, ProtocolListener&>);

}  // namespace

TEST_CASE("set_options() switches a connecting server to other options", "[ws][handshake]") {
  ServerProtocolOptions routed;
  routed.frame_mode = true;
  routed.allowed_origins = {"https://other.example"};
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(rfc_request, s.out);
  REQUIRE(s.events() == std::vector<std::string>{"request"});
  SECTION("the new options' frame mode applies to the frames that follow") {
    routed.allowed_origins.clear();
    s->set_options(routed);
    REQUIRE(s->accept({}, s.out) == std::error_code());
    s.out.clear();
    s->receive_data(client_frame(0x01, "Hel") + client_frame(0x80, "lo"), s.out);
    CHECK(s.events() == std::vector<std::string>{"fragment text more Hel", "fragment text fin lo"});
    CHECK_THROWS_AS(s->set_options(routed), std::logic_error);
  }
  SECTION("accept() reads the new options' allowed origins") {
    s->set_options(routed);
    CHECK(s->accept({}, s.out) == make_error_code(Error::origin_refused));
    CHECK(starts_with(s.output(), "HTTP/1.1 403 "));
    CHECK_THROWS_AS(s->set_options(routed), std::logic_error);
  }
}

TEST_CASE("frames sent before a deferred answer are held up to the header limit, then 400",
          "[ws][handshake]") {
  // RFC 6455 4.1: a client waits for the answer before sending frames. A few early bytes wait
  // for resume(); past max_header_bytes the handshake fails with 400, and the late answer
  // writes nothing.
  ServerProtocolOptions o;
  o.http.max_header_bytes = 1024;
  Server s(o, false);
  s->receive_data(rfc_request, s.out);
  REQUIRE(s.events() == std::vector<std::string>{"request"});
  s->receive_data(client_frame(0x81, std::string(500, 'a')), s.out);
  CHECK(s.events().empty());
  CHECK(s.output().empty());
  s->receive_data(client_frame(0x81, std::string(600, 'b')), s.out);
  CHECK(s.events() == std::vector<std::string>{failed(Error::early_data)});
  CHECK(starts_with(s.output(), "HTTP/1.1 400 "));
  CHECK(s->state() == State::closed);
  s.out.clear();
  CHECK(s->accept({}, s.out) == Error::early_data);
  s->reject(Error::not_found, s.out);
  CHECK(s.output().empty());
}

TEST_CASE("a deferred answer after the peer left writes nothing", "[ws][handshake]") {
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(rfc_request, s.out);
  REQUIRE(s.events() == std::vector<std::string>{"request"});
  s->receive_eof();
  s.events();
  CHECK(s->accept({}, s.out) == Error::unexpected_eof);
  CHECK(s.output().empty());
}

TEST_CASE("accept() refuses extra headers that the handshake writes itself", "[ws][handshake]") {
  for (const char* name : {"Sec-WebSocket-Protocol", "sec-websocket-extensions", "Upgrade",
                           "Connection", "Sec-WebSocket-Accept", "Content-Length", "Bad Name"}) {
    INFO(name);
    Server s(ServerProtocolOptions{}, false);
    s->receive_data(rfc_request, s.out);
    ServerProtocol::AcceptOptions a;
    a.headers.emplace_back(name, "x");
    CHECK_THROWS_AS(s->accept(a, s.out), std::invalid_argument);
    CHECK(s.output().empty());
  }
  Server s(ServerProtocolOptions{}, false);
  s->receive_data(rfc_request, s.out);
  ServerProtocol::AcceptOptions a;
  a.headers.emplace_back("X-Server", "uvws");
  CHECK(s->accept(a, s.out) == std::error_code());
  CHECK(has_line(s.output(), "X-Server: uvws"));
}
