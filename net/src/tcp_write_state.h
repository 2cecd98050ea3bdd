// Private: TCPConnection's write state, shared by tcp_connection.cpp and
// tcp_connection_tls.cpp. Loop thread only.
#pragma once

#include <uv.h>

#include <memory>

#include "uvws/core/buffer.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tls_session.h"

namespace uvws::net {

// Exists only while a uv_write is in flight (backpressure), so an idle connection owns nothing.
struct TCPConnection::WriteState {
  core::Buffer in_flight;  // the bytes of `req`: owned until its callback
  core::Buffer backlog;    // output() while `req` is in flight; written when it completes
  // TLS: ciphertext made while `req` is in flight (handshake messages, alerts, close_notify),
  // written before the backlog's plaintext is encrypted (records leave in the order made).
  core::Buffer ciphertext;
  uv_write_t req{};
  int deferred_error = 0;  // a uv_write() that failed synchronously, reported at close
};

// A TLS connection's side state: its session, and its write state while a write is in flight.
struct TCPConnection::TlsSide {
  std::unique_ptr<TlsSession> session;
  std::unique_ptr<WriteState> write;
};

}  // namespace uvws::net
