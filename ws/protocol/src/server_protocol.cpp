#include "uvws/ws/server_protocol.h"

#include <algorithm>
#include <stdexcept>

#include "protocol_extras.h"
#include "protocol_pending.h"
#include "uvws/ws/handshake.h"

namespace uvws::ws {

ServerProtocol::ServerProtocol(const ServerProtocolOptions& options, ProtocolListener& listener)
    : Protocol(Role::server, options, listener) {}

void ServerProtocol::set_options(const ServerProtocolOptions& options) {
  if (state() != State::connecting) {
    throw std::logic_error("ServerProtocol::set_options: not connecting");
  }
  options_ = &options;
}

const HTTPRequest* ServerProtocol::request() const {
  return extras_ ? extras_->request.get() : nullptr;
}

std::optional<Error> ServerProtocol::handshake_ended_unanswered() const {
  return extras_ ? extras_->unanswered_end : std::nullopt;
}

bool ServerProtocol::awaiting_answer() const {
  return state() == State::connecting && request() != nullptr;
}

bool ServerProtocol::receive_handshake(core::Buffer& out) {
  // Bytes after the request wait in reader() until the answer (see resume()). RFC 6455 4.1: a
  // client waits for the answer before it sends frames; a few sent early are tolerated, up to
  // the header limit, so that a deferred answer cannot make us hold an unbounded amount.
  if (awaiting_answer()) {
    if (reader().available() > options_->http.max_header_bytes) {
      extras_->unanswered_end = Error::early_data;
      fail_handshake(Error::early_data, error_response(Error::early_data), out);
    }
    return false;
  }
  // A TLS ClientHello, an HTTP/2 frame, binary: refused at its first bytes (400), not after
  // the handshake timeout. Checked before anything else, so that the answer does not depend on
  // how the bytes were split (may_begin_request looks at the first few only).
  auto head = *reader().peek(std::min<std::size_t>(reader().available(), 32));
  // Only the bytes of the first header block count (what follows it is not the request's).
  if (const std::size_t end = find_header_end(head); end != std::string_view::npos) {
    head = head.first(end);
  }
  if (!may_begin_request(head)) {
    reject(Error::not_http, out);
    return false;
  }
  bool too_large = false;
  auto block = read_header_block(too_large);
  if (!block) {
    if (too_large) reject(Error::headers_too_large, out);
    return false;
  }
  auto req = std::make_unique<HTTPRequest>();
  if (const auto e = req->parse(*block, options_->http)) {
    reject(*e, out);
    return false;
  }
  extras().request = std::move(req);
  listener().on_request(*extras_->request);
  // Accepted during the callback: the frames behind the request are parsed right away.
  // (also when the application started closing meanwhile: the peer's frames still count).
  return state() == State::open || state() == State::closing;
}

namespace {

// The response headers accept() writes itself: an extra one of these would contradict the
// negotiation (the two ends would disagree on the subprotocol or the extensions).
bool is_handshake_header(std::string_view name) {
  for (std::string_view h : {"Upgrade", "Connection", "Sec-WebSocket-Accept",
                             "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions",
                             "Sec-WebSocket-Version", "Content-Length", "Transfer-Encoding"}) {
    if (ascii_iequals(name, h)) return true;
  }
  return false;
}

}  // namespace

void check_accept_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (is_handshake_header(name) || !is_token(name)) {
      throw std::invalid_argument("ServerProtocol::accept: extra header \"" + name +
                                  "\" is not allowed (the handshake writes it, or not a token)");
    }
  }
}

std::error_code ServerProtocol::accept(const AcceptOptions& accept_options, core::Buffer& out) {
  check_accept_headers(accept_options.headers);
  // A late answer to a handshake that ended meanwhile (the peer left, or sent too much before
  // the answer): harmless, nothing is written.
  if (const auto ended = handshake_ended_unanswered()) return *ended;
  if (!awaiting_answer()) throw std::logic_error("ServerProtocol::accept: no request to answer");
  const HTTPRequest& req = *extras_->request;
  // Safe: options_ was set by our constructor or set_options(), which take nothing but a
  // ServerProtocolOptions (the base class has no setter).
  const auto& opts = static_cast<const ServerProtocolOptions&>(*options_);

  auto refuse = [this, &out](Error e) -> std::error_code {
    reject(e, out);
    return e;
  };
  if (const auto e = check_client_request(req)) return refuse(*e);

  // Origin (RFC 6455 10.2): browsers always send it; a server that restricts origins refuses
  // requests without one too.
  if (!opts.allowed_origins.empty()) {
    const auto origin = req.header("Origin");
    bool allowed = false;
    for (const std::string& o : opts.allowed_origins) {
      if (origin && ascii_iequals(*origin, o)) allowed = true;
    }
    if (!allowed) return refuse(Error::origin_refused);
  }

  // Subprotocol (RFC 6455 4.2.2 /subprotocol/): the application's choice, else ours.
  const auto offered = offered_subprotocols(req);
  std::string_view subprotocol = accept_options.subprotocol;
  if (!subprotocol.empty()) {
    bool was_offered = false;
    for (auto o : offered) was_offered = was_offered || o == subprotocol;
    if (!was_offered) {
      throw std::logic_error("ServerProtocol::accept: subprotocol not offered by the client");
    }
  } else {
    subprotocol = select_subprotocol(offered, opts.subprotocols);
  }

  // permessage-deflate (RFC 7692 5): every Sec-WebSocket-Extensions field, in order.
  std::string extensions_answer;
  if (opts.deflate.enabled) {
    std::string joined;
    req.for_each_header_value("Sec-WebSocket-Extensions", [&](std::string_view v) {
      if (!joined.empty()) joined += ", ";
      joined.append(v);
    });
    if (!joined.empty()) {
      std::error_code ec;
      auto params = negotiate_server(joined, opts.deflate, extensions_answer, ec);
      if (ec) return refuse(Error::bad_extension_offer);
      if (params) enable_deflate(*params);
    }
  }

  const auto key = req.header("Sec-WebSocket-Key");
  out.append(accept_response(*key, subprotocol, extensions_answer, accept_options.headers));
  if (!subprotocol.empty()) extras().subprotocol.assign(subprotocol);
  set_open();
  return {};
}

void ServerProtocol::reject(Error e, core::Buffer& out) {
  if (handshake_ended_unanswered()) return;  // as for accept()
  if (state() != State::connecting) {
    throw std::logic_error("ServerProtocol::reject: not connecting");
  }
  fail_handshake(e, error_response(e), out);
}

void ServerProtocol::reject(std::string_view http_response, core::Buffer& out) {
  if (handshake_ended_unanswered()) return;  // as for accept()
  if (state() != State::connecting) {
    throw std::logic_error("ServerProtocol::reject: not connecting");
  }
  fail_handshake(Error::rejected, http_response, out);
}

void ServerProtocol::resume(core::Buffer& out) {
  // Also when the application already started closing: the held frames may hold the peer's
  // close frame, which ends the close handshake.
  if (state() == State::open || state() == State::closing) parse_buffered(out);
}

void ServerProtocol::release_handshake() {
  if (!extras_) return;
  extras_->request.reset();
  trim_extras();
}

}  // namespace uvws::ws
