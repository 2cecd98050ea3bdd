// ProtocolEvents: the protocol's hooks behind a private adaptor. Private to ws/src.
//
// A Connection inherits this (privately) so that its protocol can call it, and nothing else
// sees ProtocolListener's names: on_close / on_failed would otherwise meet TCPConnection's
// on_error / on_closed and the Handler's on_* in one class. Each hook forwards to the
// Connection member named for what happened (protocol_events.cpp). It adds no state: the vptr
// a listener needs is the only cost, as when Connection derived from ProtocolListener itself.
//
// Threads: the connection's loop thread (the protocol calls it from receive_* only).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "uvws/ws/protocol.h"

namespace uvws::detail {

class Connection;

class ProtocolEvents : public ws::ProtocolListener {
 protected:
  ProtocolEvents() = default;
  ~ProtocolEvents() override = default;

 private:
  Connection& self();
  void on_request(const ws::HTTPRequest& request) final;
  void on_response(const ws::HTTPResponse& response) final;
  void on_message(ws::Opcode opcode, std::span<std::uint8_t> data) final;
  void on_fragment(ws::Opcode opcode, std::span<std::uint8_t> data, bool fin) final;
  void on_ping(std::span<std::uint8_t> payload) final;
  void on_pong(std::span<std::uint8_t> payload) final;
  void on_failed(std::error_code ec) final;
  // (on_close is not needed: the connection ends the exchange when the receive call that
  // carried the peer's close frame returns; see Connection::settle.)
};

}  // namespace uvws::detail
