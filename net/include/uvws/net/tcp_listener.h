// TCPListener: a listening socket on a Loop (IPv4, IPv6 or Unix-domain) that accepts connections
// into objects of the caller's TCPConnection subclass.
//
// Ownership: the caller owns the TCPListener (not copyable or movable). Its libuv handle lives in
// a heap object that deletes itself in its close callback, so the TCPListener may be destroyed
// at any time on the loop thread; that closes it. Loop::close_all() closes listeners left open.
// Accepted connections own themselves (see TCPConnection).
// Threads: loop thread only. For N threads, give each thread's Loop its own listener with
// reuse_port = true on the same port: the kernel then spreads connections over them.
// Errors: listen() returns bind and listen failures (EADDRINUSE, EACCES, EINVAL for an address
// that is not a numeric IPv4/IPv6 literal, ENAMETOOLONG for a long Unix path). Accept failures
// (e.g. EMFILE, which libuv already mitigates) are logged at debug level and skipped; nothing is
// thrown from callbacks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "uvws/core/export.h"
#include "uvws/net/loop.h"

namespace uvws::net {

class TCPConnection;
class TlsContextHolder;

// Where and how a TCPListener listens.
struct UVWS_EXPORT ListenOptions {
  std::string host = "0.0.0.0";  // numeric IPv4 or IPv6 address; "::" listens on both families
  std::uint16_t port = 0;        // 0: the kernel picks one, see TCPListener::port()
  std::string unix_path;         // non-empty: a Unix-domain socket at this path (host/port unused)
  // The listen() backlog.
  int backlog = 511;
  // SO_REUSEPORT: several listeners (one per loop/thread) on the same address and port.
  bool reuse_port = false;
  bool ipv6_only = false;  // for an IPv6 host: IPV6_V6ONLY
};

// Accepts TCP (or Unix-domain) connections on a Loop into objects a Factory makes.
class UVWS_EXPORT TCPListener {
 public:
  // Makes the connection object for an incoming connection, e.g.
  // `[](Loop& l) { return TCPConnection::create<MyConnection>(l); }`. It may return nullptr to
  // refuse (e.g. at a connection limit; Loop::connection_count() helps): the connection is then
  // accepted and closed at once. A factory that throws refuses as well. The listener accepts
  // into the object's handle, sets TCP_NODELAY, starts reading and calls on_accepted().
  using Factory = std::function<TCPConnection*(Loop&)>;

  // A listener on `loop` (not listening until listen()).
  TCPListener(Loop& loop, Factory factory);
  ~TCPListener();
  TCPListener(const TCPListener&) = delete;
  TCPListener& operator=(const TCPListener&) = delete;

  // Binds and listens. The socket is created here (not by libuv) so that SO_REUSEPORT can be set
  // before bind(); libuv 1.44 has no flag for it. A Unix-domain socket goes through the same
  // uv_tcp_t: libuv's stream code is file-descriptor generic on Unix, and one handle type keeps
  // every connection at the size of a uv_tcp_t. Its socket file is removed by close().
  // EALREADY if already listening.
  std::error_code listen(const ListenOptions& options);
  // The bound port (useful after port 0); 0 for a Unix-domain socket or when not listening.
  std::uint16_t port() const noexcept;
  // Makes every connection accepted from now on speak TLS with the holder's current context
  // (nullptr: plain TCP again). The holder may be reloaded from any thread meanwhile.
  void set_tls(std::shared_ptr<const TlsContextHolder> tls) { tls_ = std::move(tls); }
  // True while listening.
  bool listening() const noexcept { return handle_ != nullptr; }
  // Stops accepting; idempotent. Accepted connections are not affected.
  void close() noexcept;

 private:
  class Handle;
  friend class Handle;

  Loop& loop_;
  Factory factory_;
  std::shared_ptr<const TlsContextHolder> tls_;  // set_tls()
  Handle* handle_ = nullptr;                     // while listening; deletes itself once closed
};

}  // namespace uvws::net
