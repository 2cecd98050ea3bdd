#include "uvws/ws/client_protocol.h"

#include <array>
#include <stdexcept>

#include "protocol_extras.h"
#include "uvws/core/crypto.h"
#include "uvws/core/random.h"
#include "uvws/ws/handshake.h"

namespace uvws::ws {

ClientProtocol::ClientProtocol(const ClientProtocolOptions& options, ProtocolListener& listener)
    : Protocol(Role::client, options, listener) {
  if (options.mask_key_source != nullptr) extras().mask_key_source = options.mask_key_source;
}

const HTTPResponse* ClientProtocol::response() const {
  return extras_ ? extras_->response.get() : nullptr;
}

void ClientProtocol::release_handshake() {
  if (!extras_) return;
  extras_->response.reset();
  trim_extras();
}

void ClientProtocol::connect(std::string_view host_header, std::string_view target,
                             core::Buffer& out) {
  Extras& x = extras();
  if (state() != State::connecting || !x.client_key.empty()) {
    throw std::logic_error("ClientProtocol::connect: already connecting");
  }
  // Safe: options_ was set by our constructor, which takes nothing but a ClientProtocolOptions
  // (the base class has no setter).
  const auto& opts = static_cast<const ClientProtocolOptions&>(*options_);
  // RFC 6455 4.1: the key is 16 random bytes, base64-encoded, new for each connection.
  std::array<std::uint8_t, 16> nonce;
  core::random_bytes(nonce);
  std::string key = core::base64_encode(nonce);
  const std::string offer = opts.deflate.enabled ? client_offer(opts.deflate) : std::string();
  // Built before anything is recorded, so that a bad argument (which throws) leaves the
  // protocol as it was.
  const std::string request =
      client_request(host_header, target, key, opts.subprotocols, offer, opts.headers);
  x.client_key = std::move(key);
  out.append(request);
}

bool ClientProtocol::receive_handshake(core::Buffer& out) {
  Extras& x = extras();
  if (x.client_key.empty()) throw std::logic_error("ClientProtocol: data before connect()");
  bool too_large = false;
  auto block = read_header_block(too_large);
  if (!block) {
    if (too_large) fail_handshake(Error::headers_too_large, {}, out);
    return false;
  }
  x.response = std::make_unique<HTTPResponse>();
  const HTTPResponse& resp = *x.response;
  if (const auto e = x.response->parse(*block, options_->http)) {
    fail_handshake(*e, {}, out);
    return false;
  }
  if (const auto e = check_server_response(resp, x.client_key, options_->subprotocols)) {
    fail_handshake(*e, {}, out);
    return false;
  }
  // RFC 6455 4.1 (and RFC 7692 5): fail on any extension that was not offered.
  if (const auto ext = resp.header("Sec-WebSocket-Extensions")) {
    if (!options_->deflate.enabled || resp.header_occurrences("Sec-WebSocket-Extensions") > 1) {
      fail_handshake(Error::unexpected_extension, {}, out);
      return false;
    }
    std::error_code ec;
    auto params = accept_server_response(*ext, options_->deflate, ec);
    if (ec || !params) {
      fail_handshake(Error::unexpected_extension, {}, out);
      return false;
    }
    enable_deflate(*params);
  }
  if (const auto sub = resp.header("Sec-WebSocket-Protocol")) x.subprotocol.assign(*sub);
  set_open();
  listener().on_response(resp);
  // Frames that came with the response are parsed now, also when on_response already sent a
  // close frame (closing); not after terminate().
  return state() != State::closed;
}

}  // namespace uvws::ws
