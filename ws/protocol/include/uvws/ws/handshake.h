// The WebSocket opening handshake (RFC 6455 4) on top of HTTPRequest/HTTPResponse: the server
// validates a client's request and writes the 101 or an error answer; the client writes its
// request and validates the server's 101. Pure functions: no I/O, no state, any thread.
//
// Extension negotiation (RFC 7692) is done elsewhere: the server passes the already formatted
// Sec-WebSocket-Extensions value to accept_response(), and the client reads the response's
// value with response.header("Sec-WebSocket-Extensions").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/ws/error.h"
#include "uvws/ws/http_request.h"
#include "uvws/ws/http_response.h"

namespace uvws::ws {

// Header fields an application adds to a handshake message, written in this order.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// RFC 6455 1.3: the GUID appended to the key before hashing.
inline constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + GUID)), the Sec-WebSocket-Accept value.
UVWS_EXPORT std::string accept_key(std::string_view sec_websocket_key);

// ---- Server side ----

// Checks a parsed request against RFC 6455 4.2.1, in this order, returning the first failure
// (std::nullopt when it passes):
// method GET (Error::bad_method, 405), HTTP/1.1 exactly (bad_http_version, 505), exactly one
// Host (missing_host, 400; RFC 7230 5.4 also wants 400 for a repeated Host), Upgrade listing
// "websocket" (missing_upgrade, 426), Connection listing "upgrade" (missing_connection, 400),
// one Sec-WebSocket-Version equal to "13" (bad_version, 426), one Sec-WebSocket-Key that is the
// base64 of 16 bytes (bad_key, 400). Tokens compare case-insensitively. Origin, path and
// extensions are the caller's to check.
UVWS_EXPORT std::optional<Error> check_client_request(const HTTPRequest& request);

// The subprotocols the client offers, across every Sec-WebSocket-Protocol field, in order.
// The views point into `request` and live as long as it does.
UVWS_EXPORT std::vector<std::string_view> offered_subprotocols(const HTTPRequest& request);

// The first of `supported` (the server's order of preference) that the client offered, or ""
// when none was. Compared byte for byte, since the client checks the echoed value against what
// it sent (RFC 6455 4.1). The view points into `supported`.
UVWS_EXPORT std::string_view select_subprotocol(const std::vector<std::string_view>& offered,
                                                const std::vector<std::string>& supported);

// The complete "101 Switching Protocols" answer (RFC 6455 4.2.2 step 5): Upgrade, Connection,
// Sec-WebSocket-Accept computed from the client's `key`, then Sec-WebSocket-Protocol and
// Sec-WebSocket-Extensions when not empty, then `extra_headers`, then the blank line. Throws
// std::invalid_argument for a value with control characters or a name that is not a token.
UVWS_EXPORT std::string accept_response(std::string_view key, std::string_view subprotocol,
                                        std::string_view extensions,
                                        const HeaderList& extra_headers = {});

// The answer to a failed handshake, ending with "Connection: close" (the server then closes):
// the status of http_status_for(Error) (500 for codes of other categories), "Allow: GET" with
// 405 (RFC 7231 6.5.5), "Upgrade: websocket" with 426 and, for bad_version, also
// "Sec-WebSocket-Version: 13" (RFC 6455 4.4), and a one-line text/plain body naming the
// problem (the error's message; nothing internal for other categories).
UVWS_EXPORT std::string error_response(std::error_code ec);

// A plain HTTP/1.1 answer for applications (health checks, a static page): status line with
// reason_phrase(status), Content-Type unless empty, Content-Length, `extra_headers`,
// "Connection: close" unless `keep_alive`, blank line, body. Throws std::invalid_argument for a
// status outside 200-999 other than 204/304 with an empty body (1xx are not plain answers), or
// a header the way append_header() does.
UVWS_EXPORT std::string http_response(int status, std::string_view content_type,
                                      std::string_view body, const HeaderList& extra_headers = {},
                                      bool keep_alive = false);

// ---- Client side ----

// The client's opening request (RFC 6455 4.1): "GET target HTTP/1.1", Host, Upgrade,
// Connection, Sec-WebSocket-Key, `extra_headers` (e.g. Origin), Sec-WebSocket-Protocol when
// `subprotocols` is not empty, Sec-WebSocket-Version 13, Sec-WebSocket-Extensions when
// `extensions_offer` is not empty, blank line. `key` is base64 of 16 random bytes. Throws
// std::invalid_argument when `target` is empty or holds whitespace or control characters, a
// subprotocol is not a token, or a header is refused by append_header().
UVWS_EXPORT std::string client_request(std::string_view host_header, std::string_view target,
                                       std::string_view key,
                                       const std::vector<std::string>& subprotocols,
                                       std::string_view extensions_offer,
                                       const HeaderList& extra_headers = {});

// Checks the server's answer (RFC 6455 4.1, the client's steps 1-6 except extensions), in this
// order, returning the first failure (std::nullopt when it passes): status 101 (Error::bad_status),
// Upgrade listing "websocket" (missing_upgrade), Connection listing "upgrade" (missing_connection),
// one Sec-WebSocket-Accept equal to accept_key(key) (bad_accept), and at most one
// Sec-WebSocket-Protocol naming a single one of `offered_subprotocols` (unexpected_subprotocol,
// also when none was offered).
UVWS_EXPORT std::optional<Error> check_server_response(
    const HTTPResponse& response, std::string_view key,
    const std::vector<std::string>& offered_subprotocols);

}  // namespace uvws::ws
