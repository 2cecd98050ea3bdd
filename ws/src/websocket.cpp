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

// ---------------------------------------------------------------------------------------
// WebSocketHandle: runs on the connection's loop; from another thread the call is posted
// there (with a copy of the data) and re-checks that the connection still exists.

namespace {

template <class F>
void on_loop(const std::shared_ptr<WebSocketHandle::Token>& token, F&& action) {
  if (!token || !token->alive.load(std::memory_order_acquire)) return;
  // Posting is always correct; it also covers calls from the loop thread, which then run at
  // the end of the current callback batch rather than at once.
  token->loop->post([token, action = std::forward<F>(action)]() mutable {
    if (token->conn != nullptr) action(*token->conn);
  });
}

}  // namespace

bool WebSocketHandle::alive() const {
  return token_ && token_->alive.load(std::memory_order_acquire);
}

void WebSocketHandle::send_text(std::string_view text) const {
  send({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, Opcode::text);
}

void WebSocketHandle::send_binary(std::span<const std::uint8_t> data) const {
  send(data, Opcode::binary);
}

void WebSocketHandle::send(std::span<const std::uint8_t> data, Opcode opcode) const {
  detail::require_data_opcode(opcode, "WebSocketHandle::send");
  on_loop(token_, [bytes = std::vector<std::uint8_t>(data.begin(), data.end()),
                   opcode](detail::Connection& c) { c.send(opcode, bytes); });
}

void WebSocketHandle::close(std::uint16_t code, std::string_view reason) const {
  ws::check_close_arguments(code, reason);  // on the caller's thread, where it can be handled
  on_loop(token_, [code, r = std::string(reason)](detail::Connection& c) {
    c.start_close(code, r, detail::Initiator::application);
  });
}

}  // namespace uvws
