// ClientProtocol: the client side of a WebSocket connection, sans-I/O (see protocol.h).
//
// connect() appends the opening handshake request with a fresh random key (RFC 6455 4.1);
// the response is checked (101, Sec-WebSocket-Accept, only the subprotocol and extensions that
// were offered) and reported with on_response, after which the state is open. A response that
// fails a check fails the connection with the matching Error; response() keeps it for the
// application (the HTTP status of a refused handshake). Frames are masked with a fresh key
// from a CSPRNG each (RFC 6455 5.3).
//
// Ownership and threads as for Protocol.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/ws/protocol.h"

namespace uvws::ws {

// The client's protocol options: the common ones plus the request's extra headers.
struct UVWS_EXPORT ClientProtocolOptions : ProtocolOptions {
  // Extra request headers, e.g. {"Origin", "https://example.com"}, {"User-Agent", "..."}.
  std::vector<std::pair<std::string, std::string>> headers;
  // Source of masking keys; nullptr uses the CSPRNG. Tests set a fixed one for byte-exact
  // output.
  std::uint32_t (*mask_key_source)() = nullptr;
};

// The client side of a WebSocket connection, sans-I/O (see the file comment).
class UVWS_EXPORT ClientProtocol final : public Protocol {
 public:
  // `options` and `listener` must outlive the protocol (temporaries are refused).
  ClientProtocol(const ClientProtocolOptions& options, ProtocolListener& listener);
  ClientProtocol(ClientProtocolOptions&&, ProtocolListener&) = delete;

  // Appends the handshake request for `target` (path and query, e.g. "/chat?room=a") on
  // `host_header` (host, with ":port" unless it is the default) to `out`. Precondition:
  // connecting and not yet called (else std::logic_error).
  void connect(std::string_view host_header, std::string_view target, core::Buffer& out);

  // The server's response, once received (also after a refused handshake), until
  // release_handshake(); nullptr otherwise.
  const HTTPResponse* response() const;
  // Frees the response and the handshake's other state (once the application no longer needs
  // response()).
  void release_handshake();

 private:
  friend class Protocol;
  bool receive_handshake(core::Buffer& out);
};

}  // namespace uvws::ws
