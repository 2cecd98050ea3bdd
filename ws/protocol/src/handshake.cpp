#include "uvws/ws/handshake.h"

#include <algorithm>
#include <stdexcept>

#include "uvws/core/crypto.h"
#include "uvws/ws/error.h"

namespace uvws::ws {
namespace {

void append_status_line(std::string& out, int status) {
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
}

void append_headers(std::string& out, const HeaderList& headers) {
  for (const auto& [name, value] : headers) append_header(out, name, value);
}

bool is_websocket_error(const std::error_code& ec) noexcept {
  return ec.category() == error_category();
}

}  // namespace

std::string accept_key(std::string_view sec_websocket_key) {
  std::string input;
  input.reserve(sec_websocket_key.size() + websocket_guid.size());
  input.append(sec_websocket_key);
  input.append(websocket_guid);
  const core::Sha1Digest digest = core::sha1(input);
  return core::base64_encode(std::span<const std::uint8_t>(digest));
}

std::optional<Error> check_client_request(const HTTPRequest& request) {
  if (request.method() != "GET") return Error::bad_method;
  // RFC 6455 4.1 asks for "at least 1.1"; HTTP/1.1 is the only such version an upgrade can
  // use (HTTP/2 and 3 have their own, RFC 8441 and 9220, which uvws does not speak).
  if (request.http_major() != 1 || request.http_minor() != 1) return Error::bad_http_version;
  if (request.header_occurrences("Host") != 1) return Error::missing_host;
  if (!request.header_has_token("Upgrade", "websocket")) return Error::missing_upgrade;
  if (!request.header_has_token("Connection", "upgrade")) return Error::missing_connection;
  if (request.header_occurrences("Sec-WebSocket-Version") != 1 ||
      request.header("Sec-WebSocket-Version") != "13") {
    return Error::bad_version;
  }
  // RFC 6455 4.2.1 item 5: a base64-encoded value that decodes to 16 bytes.
  if (request.header_occurrences("Sec-WebSocket-Key") != 1) return Error::bad_key;
  const auto key = core::base64_decode(*request.header("Sec-WebSocket-Key"));
  if (!key || key->size() != 16) return Error::bad_key;
  return std::nullopt;
}

std::vector<std::string_view> offered_subprotocols(const HTTPRequest& request) {
  return request.header_tokens("Sec-WebSocket-Protocol");
}

std::string_view select_subprotocol(const std::vector<std::string_view>& offered,
                                    const std::vector<std::string>& supported) {
  for (const std::string& s : supported) {
    if (std::find(offered.begin(), offered.end(), s) != offered.end()) return s;
  }
  return {};
}

std::string accept_response(std::string_view key, std::string_view subprotocol,
                            std::string_view extensions, const HeaderList& extra_headers) {
  std::string out;
  out.reserve(160 + subprotocol.size() + extensions.size());
  append_status_line(out, 101);
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  append_header(out, "Sec-WebSocket-Accept", accept_key(key));
  if (!subprotocol.empty()) append_header(out, "Sec-WebSocket-Protocol", subprotocol);
  if (!extensions.empty()) append_header(out, "Sec-WebSocket-Extensions", extensions);
  append_headers(out, extra_headers);
  out.append("\r\n");
  return out;
}

std::string error_response(std::error_code ec) {
  if (!is_websocket_error(ec)) {
    return http_response(500, "text/plain; charset=utf-8", "Internal Server Error\n");
  }
  // The category is ours (checked above): the value is a ws::Error.
  const auto error = static_cast<Error>(ec.value());
  const int status = http_status_for(error);
  HeaderList extra;
  if (status == 405) extra.emplace_back("Allow", "GET");
  if (status == 426) {
    extra.emplace_back("Upgrade", "websocket");
    // RFC 6455 4.4: tell the client which versions the server speaks.
    if (error == Error::bad_version) extra.emplace_back("Sec-WebSocket-Version", "13");
  }
  return http_response(status, "text/plain; charset=utf-8", ec.message() + "\n", extra);
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          const HeaderList& extra_headers, bool keep_alive) {
  if (status < 200 || status > 999) throw std::invalid_argument("HTTP status out of range");
  // RFC 7230 3.3.2-3.3.3: 204 and 304 carry neither a body nor (here) a Content-Length.
  const bool no_body = status == 204 || status == 304;
  if (no_body && !body.empty()) throw std::invalid_argument("this HTTP status has no body");
  std::string out;
  out.reserve(128 + content_type.size() + body.size());
  append_status_line(out, status);
  if (!content_type.empty()) append_header(out, "Content-Type", content_type);
  if (!no_body) {
    out.append("Content-Length: ");
    out.append(std::to_string(body.size()));
    out.append("\r\n");
  }
  append_headers(out, extra_headers);
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(body);
  return out;
}

std::string client_request(std::string_view host_header, std::string_view target,
                           std::string_view key, const std::vector<std::string>& subprotocols,
                           std::string_view extensions_offer, const HeaderList& extra_headers) {
  const bool bad_target = target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
                            const auto b = static_cast<unsigned char>(c);
                            return b <= 0x20 || b == 0x7f;
                          });
  if (bad_target) throw std::invalid_argument("request target empty or with whitespace");
  std::string protocols;
  for (const std::string& p : subprotocols) {
    if (!is_token(p)) throw std::invalid_argument("subprotocol is not a token");
    if (!protocols.empty()) protocols.append(", ");
    protocols.append(p);
  }
  std::string out;
  out.reserve(192 + host_header.size() + target.size() + protocols.size() +
              extensions_offer.size());
  out.append("GET ");
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  append_header(out, "Host", host_header);
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  append_header(out, "Sec-WebSocket-Key", key);
  append_headers(out, extra_headers);
  if (!protocols.empty()) append_header(out, "Sec-WebSocket-Protocol", protocols);
  out.append("Sec-WebSocket-Version: 13\r\n");
  if (!extensions_offer.empty()) append_header(out, "Sec-WebSocket-Extensions", extensions_offer);
  out.append("\r\n");
  return out;
}

std::optional<Error> check_server_response(const HTTPResponse& response, std::string_view key,
                                           const std::vector<std::string>& offered_subprotocols) {
  if (response.status() != 101) return Error::bad_status;
  if (!response.header_has_token("Upgrade", "websocket")) return Error::missing_upgrade;
  if (!response.header_has_token("Connection", "upgrade")) return Error::missing_connection;
  if (response.header_occurrences("Sec-WebSocket-Accept") != 1 ||
      response.header("Sec-WebSocket-Accept") != accept_key(key)) {
    return Error::bad_accept;
  }
  // RFC 6455 4.1 step 6: the server echoes at most one of the offered values.
  const std::size_t protocols = response.header_occurrences("Sec-WebSocket-Protocol");
  if (protocols == 0) return std::nullopt;
  const std::string_view chosen = *response.header("Sec-WebSocket-Protocol");
  const bool offered = std::find(offered_subprotocols.begin(), offered_subprotocols.end(),
                                 chosen) != offered_subprotocols.end();
  if (protocols > 1 || !offered) return Error::unexpected_subprotocol;
  return std::nullopt;
}

}  // namespace uvws::ws
