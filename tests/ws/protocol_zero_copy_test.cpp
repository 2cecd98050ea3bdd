// Zero-copy delivery: whole frames received in place are delivered as views into the
// caller's buffer, and nothing of that buffer is kept past the call (also when a listener
// throws).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

bool inside(std::span<std::uint8_t> view, const std::vector<std::uint8_t>& buffer) {
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

}  // namespace

TEST_CASE("a whole frame received in place is delivered as a view into the caller's buffer",
          "[ws][parser][zero_copy]") {
  ServerProtocolOptions o;
  o.frame_mode = GENERATE(false, true);
  ViewListener listener;
  ServerProtocol s(o, listener);
  uvws::core::Buffer out;
  open_with_rfc_request(s, out);
  const Bytes third = client_frame(0x82, "third, split");
  const Bytes wire =
      client_frame(0x81, "Hello") + client_frame(0x82, "World!") + third.substr(0, 9);
  std::vector<std::uint8_t> buffer(wire.begin(), wire.end());
  s.receive_data_in_place(buffer, out);
  REQUIRE(listener.messages == std::vector<std::string>{"Hello", "World!"});
  // Unmasked in place, right where the payloads were.
  CHECK(listener.views[0].data() == buffer.data() + 6);
  CHECK(listener.views[1].data() == buffer.data() + 11 + 6);
  CHECK(inside(listener.views[0], buffer));
  CHECK(inside(listener.views[1], buffer));
  // The incomplete tail was kept: the caller may reuse its buffer.
  std::fill(buffer.begin(), buffer.end(), std::uint8_t{0});
  std::vector<std::uint8_t> rest(third.begin() + 9, third.end());
  s.receive_data_in_place(rest, out);
  CHECK(listener.messages == std::vector<std::string>{"Hello", "World!", "third, split"});
  CHECK(s.state() == State::open);
}

TEST_CASE("a client also receives whole frames in place", "[ws][parser][zero_copy]") {
  ClientProtocolOptions o;
  ViewListener listener;
  ClientProtocol c(o, listener);
  uvws::core::Buffer out;
  c.connect("h", "/", out);
  const std::string request(out.view());
  std::string wire = response_to(request) + server_frame(0x82, std::string(300, 'b')) +
                     server_frame(0x81, "tail").substr(0, 3);
  std::vector<std::uint8_t> buffer(wire.begin(), wire.end());
  c.receive_data_in_place(buffer, out);
  REQUIRE(listener.messages.size() == 1);
  CHECK(listener.messages[0] == std::string(300, 'b'));
  CHECK(listener.views[0].data() == buffer.data() + (wire.size() - 3 - 300));
  std::fill(buffer.begin(), buffer.end(), std::uint8_t{0});
  c.receive_data(server_frame(0x81, "tail").substr(3), out);
  CHECK(listener.messages.back() == "tail");
}

TEST_CASE("a listener that throws leaves no view of the caller's buffer behind",
          "[ws][parser][zero_copy]") {
  struct Throwing : ViewListener {
    bool thrown = false;
    void on_message(Opcode op, std::span<std::uint8_t> data) override {
      ViewListener::on_message(op, data);
      if (!thrown) {
        thrown = true;
        throw std::runtime_error("application bug");
      }
    }
  };
  ServerProtocolOptions o;
  Throwing listener;
  ServerProtocol s(o, listener);
  uvws::core::Buffer out;
  open_with_rfc_request(s, out);
  const Bytes wire = client_frame(0x81, "first") + client_frame(0x02, "sec") +
                     client_frame(0x80, "ond") + client_frame(0x81, "third").substr(0, 4);
  std::vector<std::uint8_t> buffer(wire.begin(), wire.end());
  CHECK_THROWS_AS(s.receive_data_in_place(buffer, out), std::runtime_error);
  std::fill(buffer.begin(), buffer.end(), std::uint8_t{0xEE});
  // Parsing goes on from the next frame, on bytes copied before the call returned.
  s.receive_data(client_frame(0x81, "third").substr(4), out);
  CHECK(listener.messages == std::vector<std::string>{"first", "second", "third"});
  CHECK(s.state() == State::open);
}
