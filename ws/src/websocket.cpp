// WebSocket and WebSocketHandle: the application's view of a connection, forwarding to
// detail::Connection (the only class deriving from WebSocket).
#include "uvws/websocket.h"

#include <string>
#include <vector>

#include "connection.h"
#include "uvws/ws/protocol.h"

namespace uvws {

detail::Connection& WebSocket::self() {
  return static_cast<detail::Connection&>(*this);
}
const detail::Connection& WebSocket::self() const {
  return static_cast<const detail::Connection&>(*this);
}

SendStatus WebSocket::send_text(std::string_view text) {
  return send(text, Opcode::text);
}
SendStatus WebSocket::send_binary(std::span<const std::uint8_t> data) {
  return send(data, Opcode::binary);
}
SendStatus WebSocket::send(std::span<const std::uint8_t> data, Opcode opcode) {
  detail::require_data_opcode(opcode, "WebSocket::send");
  return self().send(opcode, data);
}
SendStatus WebSocket::send_fragment(std::span<const std::uint8_t> data, Opcode opcode, bool fin) {
  return self().send_fragment(opcode, data, fin);
}
SendStatus WebSocket::ping(std::span<const std::uint8_t> payload) {
  return self().send_control(Opcode::ping, payload);
}
SendStatus WebSocket::pong(std::span<const std::uint8_t> payload) {
  return self().send_control(Opcode::pong, payload);
}
void WebSocket::close(std::uint16_t code, std::string_view reason) {
  self().start_close(code, reason, detail::Initiator::application);
}
void WebSocket::terminate() {
  self().terminate(detail::Initiator::application);
}
void WebSocket::pause_reading() {
  self().pause_reading();
}
void WebSocket::resume_reading() {
  self().resume_reading();
}
bool WebSocket::reading_paused() const {
  return self().reading_paused();
}
net::Loop& WebSocket::loop() const {
  return self().net::TCPConnection::loop();
}
std::size_t WebSocket::buffered_amount() const {
  return self().net::TCPConnection::buffered_amount();
}
bool WebSocket::is_open() const {
  return self().is_open();
}
std::string WebSocket::remote_address() const {
  return self().net::TCPConnection::remote_address();
}

// path(), route(), param(), query() and header(): request_data.cpp.
std::string_view WebSocket::subprotocol() const {
  return self().protocol().subprotocol();
}
bool WebSocket::compressed() const {
  return self().protocol().compression_enabled();
}
void* WebSocket::user_data() const {
  return self().user_data();
}
void WebSocket::set_user_data(void* data) {
  self().set_user_data(data);
}
WebSocketHandle WebSocket::handle() {
  return WebSocketHandle(self().token());
}

bool WebSocket::subscribe(std::string_view topic) {
  return self().subscribe(topic);
}
bool WebSocket::unsubscribe(std::string_view topic) {
  return self().unsubscribe(topic);
}
bool WebSocket::is_subscribed(std::string_view topic) const {
  return self().is_subscribed(topic);
}
void WebSocket::publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode,
                        bool include_self) {
  detail::require_data_opcode(opcode, "WebSocket::publish");
  self().publish(topic, data, opcode, include_self);
}

}  // namespace uvws
