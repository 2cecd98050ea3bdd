// ServerProtocol: the server side of a WebSocket connection, sans-I/O (see protocol.h).
//
// While connecting it reads the HTTP request (limits from options.http: 431 past them) and
// reports it with ProtocolListener::on_request. The glue then answers: accept() validates the
// request as a WebSocket upgrade (RFC 6455 4.2.1), checks Origin, selects the subprotocol and
// negotiates permessage-deflate, and appends the 101 to its `out`; reject() appends an HTTP
// error (or any response the application built) and closes. When the answer is given during
// on_request, the frames that arrived behind the request are parsed as soon as on_request
// returns (so the glue calls its application's on_open inside on_request, after accept()),
// and what they owe the peer goes to the `out` of the receive_*() call, to be written after
// the answer; when the answer is given later, they wait until resume().
//
// Ownership and threads as for Protocol.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/ws/protocol.h"

namespace uvws::ws {

// The server's protocol options: the common ones plus the allowed origins.
struct UVWS_EXPORT ServerProtocolOptions : ProtocolOptions {
  // Origins allowed to connect, compared case-insensitively with the Origin header (e.g.
  // "https://example.com"); empty allows any, including requests without Origin.
  std::vector<std::string> allowed_origins;
};

// Throws std::invalid_argument when one of `headers` may not be added to a 101 (see
// ServerProtocol::AcceptOptions::headers). For callers that build the answer elsewhere first.
UVWS_EXPORT void check_accept_headers(
    const std::vector<std::pair<std::string, std::string>>& headers);

// The server side of a WebSocket connection, sans-I/O (see the file comment).
class UVWS_EXPORT ServerProtocol final : public Protocol {
 public:
  // `options` and `listener` must outlive the protocol (temporaries are refused).
  ServerProtocol(const ServerProtocolOptions& options, ProtocolListener& listener);
  ServerProtocol(ServerProtocolOptions&&, ProtocolListener&) = delete;

  // Switches to other options (e.g. a route's frame mode once the request is routed); only a
  // ServerProtocolOptions is accepted, since accept() reads its allowed_origins. `options`
  // must outlive the protocol. Precondition: connecting (else std::logic_error).
  void set_options(const ServerProtocolOptions& options);
  void set_options(ServerProtocolOptions&&) = delete;

  // The request, from on_request until release_handshake(); nullptr otherwise.
  const HTTPRequest* request() const;

  // How accept() answers.
  struct AcceptOptions {
    // When non-empty, the subprotocol to answer with (it must be one the client offered);
    // otherwise the first of options.subprotocols that the client offered, if any.
    std::string_view subprotocol;
    // Extra response headers: not one the handshake writes itself (Upgrade, Connection,
    // Sec-WebSocket-*, Content-Length, Transfer-Encoding), else std::invalid_argument.
    std::vector<std::pair<std::string, std::string>> headers;
  };
  // Answers the request: appends 101 Switching Protocols to `out`, or the HTTP error for the
  // first check that fails (the error is returned, the state is then closed). A deferred
  // answer to a handshake that ended meanwhile (EOF, or over max_header_bytes of frames sent
  // before the answer: Error::early_data, answered 400) returns that error and writes nothing.
  // Precondition: a request was reported and not yet answered (else std::logic_error).
  std::error_code accept(const AcceptOptions& accept_options, core::Buffer& out);
  // Appends the standard HTTP error for `e` (403, 404, 426, ...) to `out` and closes; reported
  // to the listener as `e`. A no-op after the handshake ended meanwhile (as for accept()).
  // Precondition: connecting (else std::logic_error).
  void reject(Error e, core::Buffer& out);
  // Appends `http_response` (a whole HTTP response, e.g. from http_response()) to `out` and
  // closes; reported to the listener as Error::rejected. Precondition: connecting (else
  // std::logic_error).
  void reject(std::string_view http_response, core::Buffer& out);

  // After a deferred accept() and the application's on_open: parses the frames held
  // meanwhile; what they owe the peer is appended to `out` (see Protocol::receive_data()).
  void resume(core::Buffer& out);
  // Frees the request, and the handshake's other state (call once the application no longer
  // needs it, after accept() or reject()).
  void release_handshake();

 private:
  friend class Protocol;
  bool receive_handshake(core::Buffer& out);
  bool awaiting_answer() const;
  std::optional<Error> handshake_ended_unanswered() const;
};

}  // namespace uvws::ws
