// The close handshake (RFC 6455 5.5.1, 7), pings and pongs (5.5.2, 5.5.3), control frames
// inside fragmented messages (5.4), frame mode, and what may be sent in which state.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

// Checks every send_* refuses (returns false) and nothing is written.
void check_sends_refused(Protocol& p) {
  uvws::core::Buffer out;
  CHECK_FALSE(p.send_text("x", out));
  CHECK_FALSE(p.send_binary(as_span("x"), out));
  CHECK_FALSE(p.send_message(Opcode::text, as_span("x"), out));
  CHECK_FALSE(p.send_fragment(Opcode::text, as_span("x"), false, out));
  CHECK_FALSE(p.send_ping(as_span("x"), out));
  CHECK_FALSE(p.send_pong(as_span("x"), out));
  CHECK_FALSE(p.send_close(close_code::normal, "x", out));
  CHECK(out.empty());
}

}  // namespace

TEST_CASE("a peer's close with a code and reason is answered with the same code", "[ws][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  SECTION("server") {
    Server s;
    feed(s, client_frame(0x88, close_payload(1001, "going away")), split);
    CHECK(s.events() == std::vector<std::string>{"close 1001 going away"});
    CHECK(hex(s.output()) == hex(server_frame(0x88, close_payload(1001))));
    CHECK(s->state() == State::closed);
    CHECK(s->close_expected());
    CHECK(s->close_code_received() == 1001);
    CHECK(s->close_reason_received() == "going away");
    CHECK(s->close_code_sent() == 1001);
    CHECK(s->close_code_to_report() == 1001);
  }
  SECTION("client") {
    Client c;
    feed(c, server_frame(0x88, close_payload(4000, "app")), split);
    CHECK(c.events() == std::vector<std::string>{"close 4000 app"});
    CHECK(hex(c.output()) == hex(client_frame(0x88, close_payload(4000))));
    CHECK(c->close_expected());
    CHECK(c->close_code_to_report() == 4000);
  }
}

TEST_CASE("an empty close is answered with an empty close and reported as 1005", "[ws][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s, client_frame(0x88, ""), split);
  CHECK(s.events() == std::vector<std::string>{"close 1005 "});
  CHECK(hex(s.output()) == hex(bytes({0x88, 0x00})));
  CHECK(s->state() == State::closed);
  CHECK(s->close_code_received() == close_code::no_status);
  CHECK(s->close_code_sent() == 0);
  CHECK(s->close_code_to_report() == close_code::no_status);
}

TEST_CASE("when we close first, the peer's close ends the handshake without a second close",
          "[ws][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  REQUIRE(s->send_close(close_code::normal, "done", s.out));
  CHECK(hex(s.output()) == hex(server_frame(0x88, close_payload(1000, "done"))));
  CHECK(s->state() == State::closing);
  CHECK_FALSE(s->close_expected());
  CHECK(s->close_code_sent() == 1000);
  check_sends_refused(*s);
  // Until the peer's close, its messages still arrive; its pings get no pong (RFC 6455 5.5.1:
  // nothing may follow our close frame).
  feed(s,
       client_frame(0x81, "late") + client_frame(0x89, "p") +
           client_frame(0x88, close_payload(1000, "ok")),
       split);
  CHECK(s.events() == std::vector<std::string>{"text late", "ping p", "close 1000 ok"});
  CHECK(s.output().empty());
  CHECK(s->state() == State::closed);
  CHECK(s->close_expected());
  CHECK(s->close_code_to_report() == 1000);
}

TEST_CASE("a client closing first sends a masked close and waits for the server's", "[ws][close]") {
  Client c;
  REQUIRE(c->send_close(close_code::going_away, {}, c.out));
  CHECK(hex(c.output()) == hex(client_frame(0x88, close_payload(1001))));
  CHECK(c->state() == State::closing);
  c->receive_data(server_frame(0x88, close_payload(1001)), c.out);
  CHECK(c.events() == std::vector<std::string>{"close 1001 "});
  CHECK(c.output().empty());
  CHECK(c->close_expected());
}

TEST_CASE("send_close with code 0 sends a close frame without a body", "[ws][close]") {
  Server s;
  REQUIRE(s->send_close(0, {}, s.out));
  CHECK(hex(s.output()) == hex(bytes({0x88, 0x00})));
  s->receive_data(client_frame(0x88, ""), s.out);
  CHECK(s.events() == std::vector<std::string>{"close 1005 "});
  CHECK(s->close_code_to_report() == close_code::no_status);
}

TEST_CASE("everything after the peer's close frame is ignored", "[ws][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s,
       client_frame(0x88, close_payload(1000)) + client_frame(0x81, "after") +
           client_frame(0x89, "ping") + bytes({0xFF, 0xFF}),
       split);
  CHECK(s.events() == std::vector<std::string>{"close 1000 "});
  CHECK(hex(s.output()) == hex(server_frame(0x88, close_payload(1000))));
  s->receive_data(client_frame(0x81, "later"), s.out);
  s->receive_eof();
  CHECK(s.listener.events.empty());
  CHECK(s.out.empty());
  CHECK(s->close_code_to_report() == 1000);
}

TEST_CASE("EOF without a close frame fails with unexpected_eof and reports 1006", "[ws][close]") {
  // Between frames, inside a frame, inside a fragmented message, during the handshake.
  const int where = GENERATE(0, 1, 2, 3);
  const bool client = GENERATE(false, true);
  CAPTURE(where, client);
  Server s(ServerProtocolOptions{}, where != 3);
  Client c(ClientProtocolOptions{}, where != 3);
  Endpoint& e = client ? static_cast<Endpoint&>(c) : s;
  Protocol& p = *e.p;
  const bool masked = !client;
  if (where == 1) p.receive_data(frame(0x81, "Hello", masked).substr(0, 4), e.out);
  if (where == 2) p.receive_data(frame(0x01, "Hel", masked), e.out);
  if (where == 3) p.receive_data(client ? "HTTP/1.1 101 Swi" : rfc_request.substr(0, 20), e.out);
  p.receive_eof();
  const std::vector<Event> reported = e.listener.take();
  REQUIRE(reported.size() == 1);
  CHECK(describe(reported[0]) == failed(Error::unexpected_eof));
  // Not a protocol violation: the peer (or the network) just went away (RFC 6455 7.1.5).
  CHECK(reported[0].error == Condition::connection_lost);
  CHECK(reported[0].error != Condition::protocol_violation);
  CHECK(e.output().empty());
  CHECK(p.state() == State::closed);
  CHECK(p.close_expected());
  CHECK(p.close_code_received() == 0);
  CHECK(p.close_code_sent() == 0);
  CHECK(p.close_code_to_report() == close_code::abnormal);
}

TEST_CASE("EOF after we sent our close frame still reports 1006", "[ws][close]") {
  Server s;
  REQUIRE(s->send_close(close_code::normal, {}, s.out));
  s.out.clear();
  s->receive_eof();
  CHECK(s.events() == std::vector<std::string>{failed(Error::unexpected_eof)});
  CHECK(s->close_code_sent() == 1000);
  CHECK(s->close_code_to_report() == close_code::abnormal);
}

TEST_CASE("a protocol failure after our close frame sends nothing and reports its code",
          "[ws][close]") {
  Server s;
  REQUIRE(s->send_close(close_code::normal, {}, s.out));
  s.out.clear();
  s->receive_data(client_frame(0x83, ""), s.out);
  CHECK(s.events() == std::vector<std::string>{failed(Error::bad_opcode)});
  CHECK(s.output().empty());
  CHECK(s->close_code_sent() == 1000);
  CHECK(s->close_code_to_report() == close_code::protocol_error);
}

TEST_CASE("sending in the wrong state returns false", "[ws][close]") {
  SECTION("connecting") {
    Server s(ServerProtocolOptions{}, false);
    check_sends_refused(*s);
    s->receive_data(rfc_request, s.out);
    check_sends_refused(*s);  // the request is not answered yet
    s.listener.take();
  }
  SECTION("closed by the peer") {
    Server s;
    s->receive_data(client_frame(0x88, ""), s.out);
    s.out.clear();
    check_sends_refused(*s);
  }
  SECTION("closed by a failure") {
    Client c;
    c->receive_data(server_frame(0x83, ""), c.out);
    c.out.clear();
    check_sends_refused(*c);
  }
  SECTION("a fragmented message holds back other messages but not control frames") {
    Server s;
    REQUIRE(s->send_fragment(Opcode::binary, as_span("a"), false, s.out));
    CHECK_FALSE(s->send_text("x", s.out));
    CHECK_FALSE(s->send_binary(as_span("x"), s.out));
    CHECK(s->send_ping(as_span("p"), s.out));
    CHECK(s->send_fragment(Opcode::binary, as_span("b"), true, s.out));
    CHECK(s->send_text("x", s.out));
    CHECK(hex(s.output()) == hex(server_frame(0x02, "a") + server_frame(0x89, "p") +
                                 server_frame(0x80, "b") + server_frame(0x81, "x")));
  }
}

TEST_CASE("invalid close codes, long reasons and long control payloads throw", "[ws][close]") {
  Server s;
  for (int code : {999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    CAPTURE(code);
    CHECK_THROWS_AS(s->send_close(static_cast<std::uint16_t>(code), {}, s.out),
                    std::invalid_argument);
  }
  CHECK_THROWS_AS(s->send_close(0, "reason without a code", s.out), std::invalid_argument);
  CHECK_THROWS_AS(s->send_close(1000, std::string(124, 'r'), s.out), std::invalid_argument);
  CHECK_THROWS_AS(s->send_close(1000, "\xC3", s.out), std::invalid_argument);
  CHECK_THROWS_AS(s->send_ping(as_span(std::string(126, 'p')), s.out), std::invalid_argument);
  CHECK_THROWS_AS(s->send_pong(as_span(std::string(126, 'p')), s.out), std::invalid_argument);
  CHECK_THROWS_AS(s->send_fragment(Opcode::ping, as_span("x"), true, s.out), std::invalid_argument);
  CHECK(s->state() == State::open);
  CHECK(s.output().empty());
  // The largest of each is fine.
  CHECK(s->send_ping(as_span(std::string(125, 'p')), s.out));
  const std::string reason(123, 'r');
  CHECK(s->send_close(4999, reason, s.out));
  CHECK(s.output() == server_frame(0x89, std::string(125, 'p')) +
                          server_frame(0x88, close_payload(4999, reason)));
}

TEST_CASE("a ping gets an automatic pong with the same payload", "[ws][ping]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  SECTION("server") {
    Server s;
    feed(s, client_frame(0x89, "one") + client_frame(0x89, "") + client_frame(0x89, "\x01\x02"),
         split);
    CHECK(s.events() ==
          std::vector<std::string>{"ping one", "ping ", "ping " + describe_payload("\x01\x02")});
    CHECK(hex(s.output()) ==
          hex(server_frame(0x8A, "one") + server_frame(0x8A, "") + server_frame(0x8A, "\x01\x02")));
  }
  SECTION("client") {
    Client c;
    feed(c, server_frame(0x89, "beat"), split);
    CHECK(c.events() == std::vector<std::string>{"ping beat"});
    CHECK(hex(c.output()) == hex(client_frame(0x8A, "beat")));
  }
}

TEST_CASE("a call's out holds only what it owes the peer, never what callbacks sent",
          "[ws][ping][close]") {
  // The glue writes what its callbacks sent as they send it and the call's `out` afterwards:
  // the pong and the close answer then follow the echoed data, which RFC 6455 5.4 allows.
  struct Echo : RecordingListener {
    Protocol* proto = nullptr;
    uvws::core::Buffer sent;
    void on_message(Opcode op, std::span<std::uint8_t> data) override {
      RecordingListener::on_message(op, data);
      REQUIRE(proto->send_message(op, data, sent));
    }
  };
  const bool in_place = GENERATE(false, true);
  ServerProtocolOptions o;
  Echo listener;
  ServerProtocol s(o, listener);
  listener.proto = &s;
  uvws::core::Buffer out;
  open_with_rfc_request(s, out);
  feed_piece(s, out,
             client_frame(0x81, "one") + client_frame(0x89, "p") + client_frame(0x82, "two") +
                 client_frame(0x88, close_payload(1000)),
             in_place);
  CHECK(hex(std::string(listener.sent.view())) ==
        hex(server_frame(0x81, "one") + server_frame(0x82, "two")));
  CHECK(hex(std::string(out.view())) ==
        hex(server_frame(0x8A, "p") + server_frame(0x88, close_payload(1000))));
  CHECK(s.state() == State::closed);
}

TEST_CASE("without auto_pong pings are only reported", "[ws][ping]") {
  ServerProtocolOptions o;
  o.auto_pong = false;
  Server s(o);
  s->receive_data(client_frame(0x89, "x"), s.out);
  CHECK(s.events() == std::vector<std::string>{"ping x"});
  CHECK(s.output().empty());
  CHECK(s->send_pong(as_span("x"), s.out));
  CHECK(s.output() == server_frame(0x8A, "x"));
}

TEST_CASE("pongs are reported and not answered", "[ws][ping]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c;
  feed(c, server_frame(0x8A, "unsolicited") + server_frame(0x8A, ""), split);
  CHECK(c.events() == std::vector<std::string>{"pong unsolicited", "pong "});
  CHECK(c.output().empty());
}

TEST_CASE("control frames may come between the fragments of a message", "[ws][ping]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s,
       client_frame(0x01, "Hel") + client_frame(0x89, "p") + client_frame(0x00, "l") +
           client_frame(0x8A, "q") + client_frame(0x80, "o") + client_frame(0x82, "next"),
       split);
  CHECK(s.events() == std::vector<std::string>{"ping p", "pong q", "text Hello", "binary next"});
  CHECK(hex(s.output()) == hex(server_frame(0x8A, "p")));
}

TEST_CASE("a close inside a fragmented message ends the connection", "[ws][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s, client_frame(0x01, "Hel") + client_frame(0x88, close_payload(1000)), split);
  CHECK(s.events() == std::vector<std::string>{"close 1000 "});
  CHECK(s->state() == State::closed);
}

TEST_CASE("frame mode delivers each data frame with its fin flag", "[ws][frame_mode]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.frame_mode = true;
  Server s(o);
  feed(s,
       client_frame(0x01, "Hel") + client_frame(0x00, "") + client_frame(0x89, "p") +
           client_frame(0x00, "l") + client_frame(0x80, "o") + client_frame(0x82, "whole"),
       split);
  CHECK(s.events() == std::vector<std::string>{"fragment text more Hel", "fragment text more ",
                                               "ping p", "fragment text more l",
                                               "fragment text fin o", "fragment binary fin whole"});
}

TEST_CASE("frame mode still checks UTF-8 across frames and the message limit", "[ws][frame_mode]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.frame_mode = true;
  o.max_message_size = 8;
  SECTION("UTF-8") {
    Server s(o);
    feed(s, client_frame(0x01, "a\xE2\x82") + client_frame(0x80, "b"), split);
    check_failed(s, Error::bad_utf8, close_code::invalid_payload,
                 {"fragment text more " + describe_payload("a\xE2\x82")});
  }
  SECTION("a sequence split across frames is delivered as it came") {
    Server s(o);
    feed(s, client_frame(0x01, "a\xE2\x82") + client_frame(0x80, "\xAC"), split);
    CHECK(s.events() ==
          std::vector<std::string>{"fragment text more " + describe_payload("a\xE2\x82"),
                                   "fragment text fin " + describe_payload("\xAC")});
  }
  SECTION("the message limit") {
    Server s(o);
    feed(s, client_frame(0x02, "12345") + client_frame(0x80, "6789"), split);
    check_failed(s, Error::message_too_big, close_code::too_big, {"fragment binary more 12345"});
  }
}

TEST_CASE("terminate stops the protocol at once", "[ws][close]") {
  Server s;
  s->receive_data(client_frame(0x81, "Hel").substr(0, 7), s.out);
  s->terminate();
  CHECK(s->state() == State::closed);
  CHECK(s->close_expected());
  s->receive_data(client_frame(0x81, "more"), s.out);
  s->receive_eof();
  CHECK(s.listener.events.empty());
  CHECK(s.out.empty());
  check_sends_refused(*s);
}
