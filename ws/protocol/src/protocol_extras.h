// Protocol::Extras: the state a connection needs only sometimes, allocated on first use so that
// an open, idle connection without compression or subprotocol costs one null pointer.
// Private to the protocol's implementation files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "uvws/ws/protocol.h"

namespace uvws::ws {

// The listener used when the application set none: records events (payloads copied) and
// keeps output for data_to_send().
class RecordingListener final : public ProtocolListener {
 public:
  core::Buffer& output() override { return out; }
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

  std::vector<Event> events;
  core::Buffer out;

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

struct Protocol::Extras {
  std::unique_ptr<RecordingListener> recorder;
  std::unique_ptr<PerMessageDeflate> deflate;
  std::string subprotocol;
  std::string close_reason;
  // The close code to report for a failure (see close_code_to_report()): the one a protocol
  // failure called for, whether or not it could be sent, or 1006 after EOF or a failed
  // handshake. 0 while the connection has not failed.
  std::uint16_t failure_code = 0;
  // Client: the key sent, the masking key source, and where the header search resumes.
  std::string client_key;
  std::uint32_t (*mask_key_source)() = nullptr;
  std::size_t header_scan = 0;
  // Handshake messages, kept from their arrival until the glue calls release_handshake().
  std::unique_ptr<HTTPRequest> request;
  std::unique_ptr<HTTPResponse> response;
};

}  // namespace uvws::ws
