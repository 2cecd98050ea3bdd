// The sans-I/O proxy handshake a client runs on a fresh TCP connection to the proxy, before its
// TLS or WebSocket handshake: it produces the bytes to write and consumes the bytes read, and
// never touches a socket. start() gives the first bytes to write; every read goes to feed() until
// it answers done (the tunnel is open: the rest of that read belongs to the target) or failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "uvws/core/export.h"
#include "uvws/net/proxy.h"

namespace uvws::net {

// What the caller does after one feed().
struct ProxyStep {
  // Where the handshake stands.
  enum class State {
    need_more,  // Read more and feed it.
    send,       // Write `bytes` to the proxy, then read more and feed it.
    done,       // The tunnel is open; bytes [consumed, end) of the last fed span are the target's.
    failed,     // The proxy refused or misbehaved: close the connection and report `error`.
  };
  // need_more unless the step says otherwise.
  State state = State::need_more;
  std::string bytes;         // send: the bytes to write.
  std::size_t consumed = 0;  // done: how many bytes of the last fed span were the proxy's.
  std::error_code error;     // failed: a proxy_error.h code.
  std::string message;       // failed: the full text (for HTTP, with the proxy's status line).
};

// One handshake with a proxy; HttpConnectHandshake and Socks5Handshake implement it.
class UVWS_EXPORT ProxyHandshake {
 public:
  virtual ~ProxyHandshake();
  // The first bytes to write to the proxy (called once, before any feed()).
  virtual std::string start() = 0;
  // Consumes bytes read from the proxy; after done or failed, further calls answer the same.
  virtual ProxyStep feed(std::span<const std::uint8_t> bytes) = 0;
};

// The handshake `config` asks for, to reach `target_host`:`target_port` (a name, or an IP literal
// with IPv6 unbracketed). For ProxyKind::socks5 the caller resolves the name first and passes the
// address; the other kinds send the name to the proxy. Never null.
UVWS_EXPORT std::unique_ptr<ProxyHandshake> make_proxy_handshake(const ProxyConfig& config,
                                                                 std::string_view target_host,
                                                                 std::uint16_t target_port);

// True when the proxy resolves the target's name (http_connect, socks5h), false when the client
// must resolve it before make_proxy_handshake (socks5).
UVWS_EXPORT bool proxy_resolves_names(const ProxyConfig& config) noexcept;

}  // namespace uvws::net
