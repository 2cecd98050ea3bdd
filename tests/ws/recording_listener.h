// Test support: a ProtocolListener that records every event, with its payload copied, so that
// a test can feed bytes and then look at what the protocol reported.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "uvws/ws/protocol.h"

namespace uvws::ws::test {

// One recorded event. Payloads are copied, so the event outlives the call that reported it.
struct Event {
  enum class Type : std::uint8_t {
    request,
    response,
    message,
    fragment,
    ping,
    pong,
    close,
    failed
  };
  Type type;
  Opcode opcode = Opcode::text;
  bool fin = true;
  std::uint16_t close_code = 0;
  std::string data;  // payload, or close reason
  std::error_code error;
};

class RecordingListener : public ProtocolListener {
 public:
  void on_request(const HTTPRequest&) override { push(Event::Type::request); }
  void on_response(const HTTPResponse&) override { push(Event::Type::response); }
  void on_message(Opcode op, std::span<std::uint8_t> data) override {
    push(Event::Type::message, op, data);
  }
  void on_fragment(Opcode op, std::span<std::uint8_t> data, bool fin) override {
    push(Event::Type::fragment, op, data).fin = fin;
  }
  void on_ping(std::span<std::uint8_t> data) override {
    push(Event::Type::ping, Opcode::ping, data);
  }
  void on_pong(std::span<std::uint8_t> data) override {
    push(Event::Type::pong, Opcode::pong, data);
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    Event& e = push(Event::Type::close, Opcode::close);
    e.close_code = code;
    e.data.assign(reason);
  }
  void on_failed(std::error_code ec) override { push(Event::Type::failed).error = ec; }

  // The events recorded since the last call.
  std::vector<Event> take() { return std::exchange(events, {}); }

  std::vector<Event> events;

 private:
  Event& push(Event::Type type, Opcode op = Opcode::continuation,
              std::span<const std::uint8_t> data = {}) {
    Event& e = events.emplace_back();
    e.type = type;
    e.opcode = op;
    e.data.assign(reinterpret_cast<const char*>(data.data()), data.size());
    return e;
  }
};

}  // namespace uvws::ws::test
