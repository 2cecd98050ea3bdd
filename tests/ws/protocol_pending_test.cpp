// The parse state (Protocol::Pending) exists only while something spans receive calls: an idle
// protocol is its handful of pointers and flags, and whatever ends a connection in the middle
// of a frame (a hook that terminates, EOF, a failure) leaves nothing behind. Leaks would show
// under the sanitizers, which CI runs this suite with.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

// A server protocol opened with the RFC request, whose listener (an L, with a `protocol`
// member) can reach it from its hooks.
template <typename L>
struct Opened {
  ServerProtocolOptions options;
  L listener;
  ServerProtocol s{options, listener};
  uvws::core::Buffer out;
  Opened() {
    listener.protocol = &s;
    open_with_rfc_request(s, out);
    listener.take();
  }
};

// Ends the connection in its first message's hook, then reads the payload it was given.
struct Terminating : RecordingListener {
  Protocol* protocol = nullptr;
  std::string after;
  void on_message(Opcode op, std::span<std::uint8_t> data) override {
    protocol->terminate();
    after.assign(reinterpret_cast<const char*>(data.data()), data.size());
    RecordingListener::on_message(op, data);
  }
};

}  // namespace

TEST_CASE("an idle protocol keeps no parse state inline", "[ws][parser][memory]") {
  // Five words: the parse-state pointer, options, extras, listener, and one word of state,
  // flags and close codes (the connection's memory budget counts on it).
  STATIC_REQUIRE(sizeof(ServerProtocol) <= 40);
  STATIC_REQUIRE(sizeof(ClientProtocol) <= 40);
}

TEST_CASE("a frame split over calls at its header and payload is kept between them",
          "[ws][parser][memory]") {
  const Split split{0, GENERATE(false, true)};
  Server s;
  const Bytes wire = client_frame(0x81, "spanning reads") + client_frame(0x81, "whole");
  // Two bytes of the header; the rest of the header (no payload yet); half the payload; the
  // rest with a whole frame behind it.
  feed(s, wire.substr(0, 2), split);
  CHECK(s.events().empty());
  CHECK(s->buffered_bytes() > 0);
  feed(s, wire.substr(2, 4), split);
  CHECK(s.events().empty());
  feed(s, wire.substr(6, 7), split);
  CHECK(s.events().empty());
  feed(s, wire.substr(13), split);
  CHECK(s.events() == std::vector<std::string>{"text spanning reads", "text whole"});
  CHECK(s->buffered_bytes() == 0);
}

TEST_CASE("a fragmented message keeps its parse state until its last fragment",
          "[ws][parser][memory]") {
  const Split split{0, GENERATE(false, true)};
  Server s;
  feed(s, client_frame(0x01, "fir"), split);
  CHECK(s.events().empty());
  CHECK(s->buffered_bytes() > 0);           // the reassembly buffer
  feed(s, client_frame(0x89, "p"), split);  // a ping between the fragments
  CHECK(s.events() == std::vector<std::string>{"ping p"});
  feed(s, client_frame(0x80, "st"), split);
  CHECK(s.events() == std::vector<std::string>{"text first"});
  CHECK(s->buffered_bytes() == 0);
}

TEST_CASE("ending a connection with a frame half received frees its parse state",
          "[ws][parser][memory]") {
  const Bytes half = client_frame(0x82, "half a frame").substr(0, 9);
  SECTION("EOF") {
    Server s;
    feed(s, half, Split{});
    s->receive_eof();
    CHECK(s.events() == std::vector<std::string>{failed(Error::unexpected_eof)});
    CHECK(s->buffered_bytes() == 0);
  }
  SECTION("terminate between calls") {
    Server s;
    feed(s, half, Split{});
    s->terminate();
    CHECK(s->buffered_bytes() == 0);
    CHECK(s->state() == State::closed);
  }
  SECTION("a failure in the middle of a frame") {
    Server s;
    feed(s, client_frame(0x81, "ok") + client_frame(0x81, "\xC3\x28 bad") + half, Split{});
    CHECK(s.events() == std::vector<std::string>{"text ok", failed(Error::bad_utf8)});
    CHECK(s->buffered_bytes() == 0);
  }
  SECTION("terminate inside a hook, with more bytes behind in the same call") {
    Opened<Terminating> t;
    const Bytes wire = client_frame(0x81, "one") + client_frame(0x81, "two") + half;
    std::vector<std::uint8_t> buffer(wire.begin(), wire.end());
    t.s.receive_data_in_place(buffer, t.out);
    const auto events = t.listener.take();
    REQUIRE(events.size() == 1);
    CHECK(describe(events[0]) == "text one");
    CHECK(t.listener.after == "one");
    CHECK(t.s.buffered_bytes() == 0);
    CHECK(t.s.state() == State::closed);
  }
}

TEST_CASE("a hook that ends the connection can still read the message it was given",
          "[ws][parser][memory]") {
  // A reassembled message lies in the parse state's buffer: ending the connection inside the
  // hook (WebSocket::terminate, or the memory budget when the hook sends) must not free it
  // under the hook's feet; the call frees it as it ends.
  const bool eof = GENERATE(false, true);
  Opened<Terminating> t;
  t.s.receive_data(client_frame(0x01, "frag"), t.out);
  t.s.receive_data(client_frame(0x80, "mented"), t.out);
  CHECK(t.listener.after == "fragmented");
  if (eof) t.s.receive_eof();  // nothing more to report: closed already
  CHECK(t.s.state() == State::closed);
  CHECK(t.s.buffered_bytes() == 0);
}

TEST_CASE("bytes received inside a hook of a receive call are refused", "[ws][parser]") {
  // They could not be ordered with the rest of the outer call's bytes.
  struct Feeding : RecordingListener {
    Protocol* protocol = nullptr;
    uvws::core::Buffer* out = nullptr;
    void on_message(Opcode op, std::span<std::uint8_t> data) override {
      RecordingListener::on_message(op, data);
      protocol->receive_held(*out);  // allowed: waits for the outer call to go on
      protocol->receive_data(client_frame(0x81, "nested"), *out);
    }
  };
  Opened<Feeding> f;
  f.listener.out = &f.out;
  const Split split{0, GENERATE(false, true)};
  // A whole frame (no parse state) and one completed from a kept tail (the general path).
  CHECK_THROWS_AS(feed(f.s, f.out, client_frame(0x81, "one"), split), std::logic_error);
  const Bytes two = client_frame(0x81, "two");
  feed(f.s, f.out, two.substr(0, 3), split);
  CHECK_THROWS_AS(feed(f.s, f.out, two.substr(3), split), std::logic_error);
}

TEST_CASE("frames behind a request answered inside on_request are parsed by the same call",
          "[ws][parser][memory]") {
  // accept() inside on_request: the frames behind the request are parsed within the receive
  // call that brought them, with that call's parse state; a frame cut at the end of the call
  // is kept for the next one.
  struct Accepting : RecordingListener {
    ServerProtocol* protocol = nullptr;
    uvws::core::Buffer* out = nullptr;
    void on_request(const HTTPRequest& r) override {
      RecordingListener::on_request(r);
      REQUIRE(protocol->accept({}, *out) == std::error_code());
    }
  };
  ServerProtocolOptions o;
  Accepting listener;
  ServerProtocol s(o, listener);
  uvws::core::Buffer out;
  listener.protocol = &s;
  listener.out = &out;
  const Bytes last = client_frame(0x81, "cut");
  const Bytes wire = Bytes(rfc_request) + client_frame(0x81, "behind") + last.substr(0, 5);
  std::vector<std::uint8_t> buffer(wire.begin(), wire.end());
  s.receive_data_in_place(buffer, out);
  std::fill(buffer.begin(), buffer.end(), std::uint8_t{0xEE});  // the caller reuses its buffer
  auto events = listener.take();
  REQUIRE(events.size() == 2);
  CHECK(describe(events[1]) == "text behind");
  CHECK(s.buffered_bytes() > 0);
  s.receive_data(last.substr(5), out);
  events = listener.take();
  REQUIRE(events.size() == 1);
  CHECK(describe(events[0]) == "text cut");
  CHECK(s.buffered_bytes() == 0);
}
