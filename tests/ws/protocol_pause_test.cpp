// Receive pause (flow control, WebSocket::pause_reading): after set_receive_paused(true) inside
// a hook, no further hook runs for bytes already given or given later; receive_held() then
// delivers them in order, and owed answers (pongs) come only then.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

// Records messages and pings; pauses its protocol after the message equal to `pause_on`.
struct PausingListener : RecordingListener {
  Protocol* protocol = nullptr;
  std::string pause_on;
  void on_message(Opcode op, std::span<std::uint8_t> data) override {
    RecordingListener::on_message(op, data);
    if (std::string(reinterpret_cast<const char*>(data.data()), data.size()) == pause_on) {
      protocol->set_receive_paused(true);
    }
  }
};

std::vector<std::string> texts(RecordingListener& l) {
  std::vector<std::string> out;
  for (const Event& e : l.take()) out.push_back(describe(e));
  return out;
}

}  // namespace

TEST_CASE("a paused protocol holds what it is given until receive_held", "[ws][parser][pause]") {
  ServerProtocolOptions o;
  PausingListener listener;
  ServerProtocol s(o, listener);
  listener.protocol = &s;
  listener.pause_on = "one";
  uvws::core::Buffer out;
  open_with_rfc_request(s, out);
  listener.take();
  out.clear();

  const Bytes wire =
      client_frame(0x81, "one") + client_frame(0x89, "ping") + client_frame(0x81, "two");
  const Split split = UVWS_SPLITS();
  feed(s, out, wire, split);
  CHECK(texts(listener).size() == 1);  // "one", then paused
  CHECK(out.empty());                  // the ping's pong is not owed yet: it was not parsed
  CHECK(s.receive_paused());

  // More bytes while paused: kept, not parsed.
  feed(s, out, client_frame(0x81, "three"), split);
  CHECK(listener.events.empty());
  s.receive_held(out);  // still paused: nothing
  CHECK(listener.events.empty());

  s.set_receive_paused(false);
  s.receive_held(out);
  const auto events = texts(listener);
  REQUIRE(events.size() == 3);
  CHECK(events[0].find("ping") != std::string::npos);
  CHECK(events[1].find("two") != std::string::npos);
  CHECK(events[2].find("three") != std::string::npos);
  CHECK(Bytes(out.view()) == frame(0x8A, "ping", false));  // the pong, now
  CHECK(s.buffered_bytes() == 0);                          // everything held was delivered
}
