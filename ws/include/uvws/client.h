// Client: an asynchronous WebSocket client on a uvws loop, with the same Handler callbacks
// and WebSocket handle as the server side.
//
//   uvws::net::Loop loop;
//   MyHandler handler;
//   uvws::Client client(loop, "ws://127.0.0.1:9001/chat", handler);
//   client.connect();
//   loop.run();
//
// Addresses: ws://host[:port]/path?query (host names resolved with libuv's resolver, IPv6
// literals in brackets, port 80 by default) and ws+unix:///path/to.sock[:/request/path]
// for a Unix-domain socket; wss://host[:port]/path?query over TLS (port 443 by default), the
// server's certificate checked against ClientOptions::tls (the system store by default) for
// the URL's host name or IP address, a failure reported to on_error with OpenSSL's reason.
//
// A host name resolves to every address it has (IPv6 and IPv4); they are tried in order until
// one connects. connect_timeout bounds the lookup, the TCP connect and the proxy handshake
// together; handshake_timeout the HTTP upgrade after it.
//
// Proxies (ClientOptions::proxy): an HTTP CONNECT proxy (http://, Basic auth from the URL) or a
// SOCKS5 proxy (socks5:// resolves the target here, socks5h:// lets the proxy resolve it), by
// default from the environment as curl reads it (net/proxy.h: ws_proxy / http_proxy for ws://,
// wss_proxy / https_proxy / HTTPS_PROXY for wss://, then all_proxy / ALL_PROXY; no_proxy). The
// client connects to the proxy, and TLS (checked against the target's name) and the upgrade
// (Host: the target) start once the tunnel is open. A refusal reaches on_error with its code:
// net::proxy_http_category() (the status) or net::proxy_socks5_category() (the reply code).
// ws+unix:// never uses a proxy.
//
// Reconnect on request: after a connection is lost (or fails to open) the client waits
// initial_delay, multiplied by `multiplier` after each failed attempt up to max_delay, each
// delay scaled by a random factor in [1-jitter, 1+jitter]; on_attempt reports each attempt as
// it is scheduled, and on_give_up the end after max_attempts consecutive failures (0 = no
// limit). A connection that opened resets the count. It never reconnects after a close the
// application asked for: Client::close(), WebSocket::close() or a handle's close().
//
// Ownership: the application owns the Client, the Loop and the Handler; the Client must be
// destroyed before the Loop. Destroying the Client drops its connection at once (no close
// handshake): on_close runs first, within the destructor, with 1006, if the connection was
// open. Threads: the loop's thread only (construct it there, or before the loop runs).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/handler.h"
#include "uvws/net/loop.h"
#include "uvws/net/tls.h"
#include "uvws/websocket.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws {

// When and how often a Client reconnects (see Client); off by default.
struct UVWS_EXPORT ReconnectOptions {
  // Reconnect after a lost connection or a failed attempt.
  bool enabled = false;
  // The delay before the first attempt after a failure.
  std::chrono::milliseconds initial_delay{500};
  // The longest delay between attempts.
  std::chrono::milliseconds max_delay{30000};
  // Each failed attempt multiplies the delay by this (at least 1).
  double multiplier = 2.0;
  double jitter = 0.2;        // each delay is scaled by a random factor in [1-j, 1+j]
  unsigned max_attempts = 0;  // consecutive failed attempts before giving up; 0 = no limit
};

// Client configuration: plain values with safe defaults. Invalid values make the Client
// constructor (and uvws::connect) throw std::invalid_argument naming the field.

struct UVWS_EXPORT ClientOptions {
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::string origin;                                        // sent as Origin when non-empty
  std::string user_agent;                 // default: uvws::version(); sent unless `headers` has one
  std::vector<std::string> subprotocols;  // offered, preferred first

  // The largest message accepted (after inflating); a bigger one closes with 1009.
  std::size_t max_message_size = 16u << 20;
  // The largest frame accepted; a bigger one closes with 1009.
  std::size_t max_frame_size = 16u << 20;
  // The largest handshake response head accepted, in bytes.
  std::size_t max_header_bytes = 8192;
  // The most response headers accepted.
  std::size_t max_headers = 100;

  // Name lookup + TCP connect + proxy handshake.
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds handshake_timeout{10000};  // request sent, no 101 yet
  std::chrono::milliseconds close_timeout{5000};       // close sent, server silent
  std::chrono::milliseconds ping_interval{0};  // keepalive ping when idle this long; 0 = off
  std::chrono::milliseconds idle_timeout{0};   // close after this much silence; 0 = off

  // Bytes queued for the server before the backpressure policy applies.
  std::size_t max_backpressure = 1u << 20;
  // What a send over max_backpressure does (drop, or close with 1008).
  BackpressurePolicy backpressure_policy = BackpressurePolicy::drop;

  // BlockingClient only: bytes received and not yet taken by recv() before it stops reading
  // (TCP then slows the server down); reading resumes when recv() has taken half of them.
  std::size_t max_received_bytes = 64u << 20;

  ws::DeflateOptions compression;  // permessage-deflate offer; off unless .enabled
  // Nothing received for this long: the compression state is given back (as on a server);
  // 0 = never.
  std::chrono::milliseconds compression_idle_release{10000};
  // Reconnecting (Client only; uvws::connect ignores it).
  ReconnectOptions reconnect;

  // wss:// only: whom to trust (ca_file / ca_dir; the system store by default), a client
  // certificate, or `insecure` (no verification; a warning is logged on every connection).
  // Bad files make the constructor throw std::invalid_argument with OpenSSL's reason.
  net::TlsClientConfig tls;

  // The proxy to connect through: nullopt = from the environment (see the file comment), "" =
  // none, else a proxy URL "http://[user:password@]host[:port]", "socks5://..." or
  // "socks5h://..." (port 1080 by default). Read at each connect(): a URL that does not parse
  // reaches on_error with a net::ProxyErrc code.
  std::optional<std::string> proxy;
  // How the environment is read when `proxy` is nullopt (tests inject one); empty = the process
  // environment (std::getenv).
  std::function<std::optional<std::string>(std::string_view name)> proxy_env;
};

// A parsed ws://, wss:// or ws+unix:// address. parse() throws std::invalid_argument on
// anything else.
struct UVWS_EXPORT WebSocketUrl {
  std::string host;  // name or IP literal (without brackets); empty for Unix sockets
  // The TCP port (80, or 443 for wss://, unless the URL names one).
  std::uint16_t port = 80;
  bool tls = false;  // wss://
  // The socket path of a ws+unix:// URL; empty otherwise.
  std::string unix_path;
  std::string target = "/";  // path and query
  std::string host_header;   // host[:port] as sent in Host

  // Parses `url`; std::invalid_argument on anything but ws://, wss:// or ws+unix://.
  static WebSocketUrl parse(std::string_view url);
};

// An asynchronous WebSocket client on a net::Loop (see the file comment).
class UVWS_EXPORT Client {
 public:
  // A client of `url` on `loop`, reporting to `handler`; it does not connect until connect().
  // std::invalid_argument for a bad URL or options.
  Client(net::Loop& loop, std::string_view url, Handler& handler, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting (resolve, connect, handshake); on_open follows. Failures go to
  // Handler::on_error (with a null WebSocket) and, with reconnect enabled, to the next attempt.
  // No-op while connecting or open; while a connection is ending (after close(), in on_error
  // or on_close) it starts once that connection is gone. May be called from any callback.
  void connect();
  // Closes the connection with a close handshake (drops it if it is not open yet), cancels a
  // pending reconnect, and disables reconnecting until the next connect().
  void close(std::uint16_t code = 1000, std::string_view reason = {});

  // The open connection, or nullptr.
  WebSocket* websocket();
  // The round-trip time of the last keepalive ping (ping_interval) that got its pong; 0 before.
  std::chrono::microseconds latency() const;
  // The HTTP status of the last handshake response: 101 once open, the refusal's status (403,
  // 404...), or 0 when no response came (refused connection, timeout).
  int handshake_status() const;

  // Reconnect reporting, when an attempt is scheduled: its number (1-based, counting since the
  // last connection that opened), the delay before it starts, and the error that ended the
  // previous attempt (empty when an open connection ended with a close handshake).
  std::function<void(unsigned attempt, std::chrono::milliseconds delay, std::error_code last)>
      on_attempt;
  // Called when the client gives up (max_attempts reached), with the last error.
  std::function<void(std::error_code last)> on_give_up;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace uvws
