// ProtocolEvents (protocol_events.h) and what the connection does with each protocol event.
#include "protocol_events.h"

#include "connection.h"
#include "log.h"

namespace uvws::detail {

// Each event first writes what the protocol owes the peer so far (Connection::write_owed):
// the protocol appends to that buffer only between its callbacks, so the bytes go out in the
// order they were produced, before anything the callback sends.
Connection& ProtocolEvents::self() {
  return static_cast<Connection&>(*this);
}

void ProtocolEvents::on_request(const ws::HTTPRequest& request) {
  self().write_owed();
  self().request_received(request);
}
void ProtocolEvents::on_response(const ws::HTTPResponse&) {
  self().write_owed();
  self().handshake_accepted();
}
void ProtocolEvents::on_message(ws::Opcode opcode, std::span<std::uint8_t> data) {
  self().write_owed();
  self().message_received(opcode, data);
}
void ProtocolEvents::on_fragment(ws::Opcode opcode, std::span<std::uint8_t> data, bool fin) {
  self().write_owed();
  self().fragment_received(opcode, data, fin);
}
void ProtocolEvents::on_ping(std::span<std::uint8_t> payload) {
  self().write_owed();
  self().ping_received(payload);
}
void ProtocolEvents::on_pong(std::span<std::uint8_t> payload) {
  self().write_owed();
  self().pong_received(payload);
}
void ProtocolEvents::on_failed(std::error_code ec) {
  self().write_owed();
  self().protocol_failed(ec);
}

// ---------------------------------------------------------------------------------------
// What the connection does with each event (Connection members, connection.h)

// Connection::request_received: connection_upgrade.cpp.

void Connection::count_handshake_failure(std::error_code ec) {
  LoopMetrics& m = ctx().metrics;
  if (ec == ws::Error::unexpected_eof) {
    m.handshakes_unanswered.add();
  } else if (ec != ws::Error::rejected && ec != ws::Error::not_found &&
             ec.category() == ws::error_category()) {
    // rejected and not_found: answers to a whole request, counted with it (count_answer).
    m.handshakes.add(
        static_cast<unsigned>(ws::http_status_for(static_cast<ws::Error>(ec.value()))));
  }
}

void Connection::handshake_accepted() {
  // The server accepted (checked by ClientProtocol: status, key, extensions, subprotocol).
  opened_websocket();
  // The response was only for on_open (subprotocol() is kept by the protocol).
  client_protocol().release_handshake();
}

void Connection::count_received(Opcode opcode, std::size_t bytes, bool fin) {
  if (LoopMetrics* m = metrics()) {
    TrafficTally::Slot& s =
        m->tally.in[TrafficTally::slot(protocol().compression_enabled(), opcode)];
    s.messages += fin;
    s.bytes += bytes;
  }
}

void Connection::message_received(Opcode opcode, std::span<std::uint8_t> data) {
  count_received(opcode, data.size(), true);
  guard([&] { endpoint_->handler->on_message(*this, Message(opcode, data)); });
}

void Connection::fragment_received(Opcode opcode, std::span<std::uint8_t> data, bool fin) {
  count_received(opcode, data.size(), fin);
  guard([&] { endpoint_->handler->on_fragment(*this, Message(opcode, data), fin); });
}

void Connection::ping_received(std::span<std::uint8_t> payload) {
  if (LoopMetrics* m = metrics()) {
    m->pings_in.add();
    if (is_open()) m->pongs_out.add();  // the automatic pong (RFC 6455 5.5.2)
  }
  guard([&] { endpoint_->handler->on_ping(*this, payload); });
}

void Connection::pong_received(std::span<std::uint8_t> payload) {
  if (LoopMetrics* m = metrics()) {
    m->pongs_in.add();
    if (const auto rtt = Keepalive::round_trip_us(payload)) m->ping_rtt.observe(*rtt);
  }
  if (ClientLink* l = link()) l->pong_received();
  guard([&] { endpoint_->handler->on_pong(*this, payload); });
}

void Connection::protocol_failed(std::error_code ec) {
  if (!client_ && stage_ == Stage::handshake) count_handshake_failure(ec);
  if (ec == ws::Error::unexpected_eof) {
    // on_eof closes; on_closed reports 1006. A client that never opened reports the failure
    // (the server hung up on its handshake), and so does a server whose deferred upgrade was
    // still waiting for its answer (the peer left meanwhile).
    if ((client_ || upgrade_pending()) && stage_ == Stage::handshake) report_failure(ec, nullptr);
    return;
  }
  if (ec == ws::Error::rejected) return;  // the application's own answer: nothing to report
  logger().debug("connection {}: {}", TCPConnection::remote_address(), ec.message());
  const bool handshake = stage_ == Stage::handshake;
  const ws::HTTPResponse* response = client_ ? client_protocol().response() : nullptr;
  report_failure(ec, handshake ? nullptr : this,
                 handshake && response != nullptr ? response->status() : 0);
  // settle() ends the exchange when the receive call returns.
}

}  // namespace uvws::detail
