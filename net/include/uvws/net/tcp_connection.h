// TCPConnection: one stream socket on a Loop (TCP, or a Unix-domain socket accepted by a
// TCPListener); the base class of every connection object.
//
// Ownership: made on the heap with TCPConnection::create<T>(loop, args...), never copied or
// moved. A connection owns itself and is deleted in exactly ONE place: its uv_close callback,
// right after on_closed() returned (the destructor is protected; nothing else may delete it).
// So `this` stays valid in every hook and until the end of the loop iteration in which it was
// closed. A connection that never started (no accept, no connect) is discarded with close() too.
// Threads: loop thread only. Every hook runs on the loop thread; other threads use Loop::post().
// Errors: a read or write failure calls on_error() once and then closes the connection; a hook
// that throws is logged and closes the connection (the ws glue should catch its own exceptions
// first and send 1011, docs/ARCHITECTURE.md "Errors"). Nothing is thrown from libuv callbacks.
// Memory: at most 320 bytes including libuv's 248-byte uv_tcp_t (static_assert below), and no
// buffer while idle: reads land in the Loop's shared read buffer, writes in the Loop's shared
// cork buffer, and a per-connection write state exists only while the kernel refuses bytes.
// TLS: a connection may carry a TlsSession (one pointer; tcp_connection_tls.cpp). Then the read
// path decrypts before on_data() and the write path encrypts at flush, so subclasses see
// plaintext only; a TLS failure calls on_error() with a tls_category() error and closes.
// Proxy tunnel: a client connection may first run a ProxyHandshake (start_tunnel(),
// tcp_connection_tunnel.cpp) whose state hangs off the same word only until the tunnel is up, so
// neither the subclass nor TLS ever sees the proxy's bytes.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/net/loop.h"
#include "uvws/net/timer_wheel.h"

namespace uvws::net {

class ProxyHandshake;
class TCPListener;
class TlsContext;
class TlsContextHolder;
class TlsSession;

// The TimerNode base (private) is the connection's slot in its loop's timer wheel; while no
// timer is armed the same links keep it in the loop's list of connections, so the registry
// costs no extra bytes.
class UVWS_EXPORT TCPConnection : private TimerNode {
 public:
  // Creates a T (derived from TCPConnection, constructor T(Loop&, args...)). The returned
  // pointer does not own: hand it to a listener factory, or call connect() or close() on it.
  template <class T, class... Args>
  static T* create(Loop& loop, Args&&... args) {
    return new T(loop, std::forward<Args>(args)...);
  }

  TCPConnection(const TCPConnection&) = delete;
  TCPConnection& operator=(const TCPConnection&) = delete;

  // The loop the connection lives on.
  Loop& loop() const noexcept { return Loop::from(tcp_.loop); }
  // The libuv handle (for a subclass's own libuv calls).
  uv_tcp_t* handle() noexcept { return &tcp_; }
  // The connection whose handle this is (handle->data), e.g. inside a subclass's own libuv
  // callbacks. Precondition: `handle` is the handle() of a TCPConnection.
  static TCPConnection* from_handle(const uv_handle_t* handle) noexcept {
    return static_cast<TCPConnection*>(handle->data);
  }

  // --- Writing (corked: many appends, one syscall) ----------------------------------------------
  // The buffer to append outgoing bytes to. Normally the Loop's shared cork buffer: the loop
  // remembers which one connection holds it, and flushes the previous holder first when another
  // connection asks. While a uv_write of this connection is still in flight it is this
  // connection's own backlog instead, so bytes stay in order. Before accept or connect(), and
  // after close(), abort() or shutdown(), it is a scratch buffer whose bytes are dropped.
  // (During a connect, bytes are kept and go out once connected.)
  // The reference is valid only until the next output() or flush() on any connection of the
  // loop, or the return to the loop: append, then let go of it.
  // Corked bytes are flushed when the read callback that produced them returns, when another
  // connection takes the cork, and right before the loop blocks for I/O (so sends from timers
  // and posted tasks go out in the same iteration).
  core::Buffer& output();  // inline below: the common case is a few instructions
  // Writes `parts` that other connections share (published frames) without copying them:
  // after this connection's corked bytes (kept in order), straight from `parts` with ONE
  // uv_try_write (writev) per 64 parts. Only what the kernel does not take at once — a slow
  // peer — is copied, into this connection's own backlog; so is everything while a backlog
  // exists. `parts` need only live during the call.
  void write_shared(std::span<const std::span<const std::uint8_t>> parts);
  void write_shared(std::span<const std::uint8_t> bytes) { write_shared({&bytes, 1}); }
  // Hands this connection's corked bytes to the kernel now: uv_try_write first, and a uv_write
  // for whatever the kernel did not take (copied to a write state allocated for that write and
  // freed when the backlog has drained). No-op unless this connection holds the cork.
  void flush() noexcept;
  // Bytes accepted by output() that the kernel has not taken yet (corked, in flight, backlog).
  std::size_t buffered_amount() const noexcept;  // inline below
  // The part of buffered_amount() the kernel refused: bytes in flight in a uv_write and the
  // backlog behind it (this connection's own memory; the cork is the loop's and is flushed
  // within the iteration). Zero unless the peer reads slower than we write.
  std::size_t queued_amount() const noexcept;  // inline below

  // --- Lifecycle --------------------------------------------------------------------------------
  // Reading starts by itself after accept and connect; these pause and resume it (backpressure).
  // start_reading() fails with ENOTCONN before the connection is established, EINVAL if closing.
  std::error_code start_reading() noexcept;
  // Pauses reading (backpressure); start_reading() resumes it.
  void stop_reading() noexcept;
  // True while reading.
  bool reading() const noexcept { return (flags_ & f_reading) != 0; }
  // Graceful: after every byte already accepted by output() went out, uv_shutdown() sends FIN.
  // The connection stays open for reading until EOF (on_eof) or close(); later output() is
  // dropped. A failing shutdown calls on_error() and closes.
  void shutdown() noexcept;
  // Idempotent. Corked bytes of this iteration get one non-blocking write attempt; everything
  // else not yet taken by the kernel is dropped (pending writes complete with ECANCELED). The
  // timer is disarmed now; on_closed() and the deletion follow at the end of the iteration.
  void close() noexcept;
  // Like close(), but with SO_LINGER 0 so that the peer gets a RST (uv_tcp_close_reset); nothing
  // queued is sent. Falls back to close() during a shutdown (libuv refuses a reset then).
  void abort() noexcept;
  // True once close() or abort() was called.
  bool closing() const noexcept { return (flags_ & f_closing) != 0; }

  // --- Timer (one per connection, on the loop's TimerWheel; on_timer() when it fires) -----------
  // Arms, or re-arms, the timer to fire once `ms` from now (rounded up to the wheel's tick).
  void arm_timer(std::uint32_t ms) noexcept;
  // Disarms the timer; no-op when not armed.
  void disarm_timer() noexcept;
  // True while the timer is armed.
  bool timer_armed() const noexcept { return (flags_ & f_armed) != 0; }
  // For idle timeouts: postpones the armed timer to fire its full delay after now. O(1), two
  // stores, no list operation: cheap enough for every message. No-op when not armed.
  void touch() noexcept;  // inline below: called for every read

  // The peer as "1.2.3.4:port", "[::1]:port", or for a Unix-domain socket its path (the local
  // one if the peer is unnamed, as clients usually are). Queried on demand, never stored; empty
  // if unknown (not connected, or closed).
  std::string remote_address() const;

  // Client side: connects to an IPv4 or IPv6 address (copied; `addr` need not outlive the call).
  // On success the callback runs once the connection is established, after reading started; on
  // failure it runs with the error (ECANCELED if closed meanwhile) and the connection then
  // closes itself. An error returned here (EINVAL: already started or a non-IP address) means
  // the callback will not run and the connection is already closing.
  using ConnectCallback = std::function<void(std::error_code)>;
  // Connects to an IPv4 or IPv6 address (see ConnectCallback).
  std::error_code connect(const sockaddr* addr, ConnectCallback on_connect);
  // Client side: connects to the Unix-domain socket at `path`. A local connect does not wait,
  // so the callback runs within this call: on success once reading started; on failure
  // (ENOENT, ECONNREFUSED, EAGAIN when the listener's backlog is full) with the error, and the
  // connection then closes itself. Preconditions as for connect() (EINVAL, no callback).
  std::error_code connect_unix(const std::string& path, ConnectCallback on_connect);

  // --- TLS (a server's listener starts it at accept: TCPListener::set_tls) -----------------------
  // Client side: starts TLS on a connected socket, typically in the connect callback, before
  // anything was written (bytes output() took earlier went out in the clear). The certificate
  // is checked for `server_name` (host name, sent as SNI; or IP literal) unless the context is
  // insecure. Bytes written before the handshake completed go out once it has; a failure calls
  // on_error() (tls_category()) and closes. EINVAL if closing, not connected, already TLS, or
  // `server_name` is not a name OpenSSL can check;
  // ENOMEM if OpenSSL cannot make a session. Loop thread.
  std::error_code start_tls(std::shared_ptr<const TlsContext> context,
                            const std::string& server_name);
  // True if the connection speaks TLS.
  bool tls() const noexcept { return (side_ & side_tls) != 0; }

  // --- Proxy tunnel (client side, tcp_connection_tunnel.cpp) -------------------------------------
  // Runs `handshake` (HTTP CONNECT, SOCKS5) on a connected socket, typically in the connect
  // callback of a connect() to the proxy: writes its start() bytes and feeds it every read
  // instead of on_data(). Once the proxy opened the tunnel, `on_open` runs with no error (start
  // TLS or write the request there) and the bytes that followed the proxy's answer then take the
  // normal read path (decrypted first when TLS was started). When the proxy refuses, misbehaves
  // or closes, `on_open` runs with the error (a proxy_error.h code, or the read error) and the
  // connection then closes itself; on_error() is not called. A close() meanwhile drops `on_open`
  // unrun. EINVAL (and no callback) if closing, not connected, TLS or a tunnel already started.
  std::error_code start_tunnel(std::unique_ptr<ProxyHandshake> handshake, ConnectCallback on_open);
  // True while a proxy handshake runs.
  bool tunneling() const noexcept { return (side_ & side_tunnel) != 0; }
  // True once the TLS handshake completed (false without TLS).
  bool tls_established() const noexcept;

 protected:
  // A connection on `loop`, not yet connected (use create()).
  explicit TCPConnection(Loop& loop) noexcept;
  virtual ~TCPConnection();

  // Hooks, all on the loop thread, never after on_closed(). Bytes arrive in order.
  // `bytes` lives in the loop's shared read buffer and is valid only during the call; it is
  // mutable so that a protocol can unmask in place. Keep what you need by copying it.
  virtual void on_data(std::span<std::uint8_t> bytes) = 0;
  // A TCPListener accepted this connection; reading has started.
  virtual void on_accepted() {}
  // The peer sent FIN; reading has stopped. Default: close().
  virtual void on_eof() { close(); }
  // A read or write failed; the connection is closed right after this returns.
  virtual void on_error(std::error_code ec) { static_cast<void>(ec); }
  // The write backlog has emptied after having been non-empty (backpressure relieved).
  virtual void on_drain() {}
  // The armed timer expired (it is disarmed now).
  virtual void on_timer() {}
  // The last call: the connection is deleted when it returns.
  virtual void on_closed() {}

 private:
  friend class Loop;
  friend class TCPListener;
  struct WriteState;
  struct TlsSide;
  struct Tunnel;

  enum Flag : std::uint16_t {
    f_handle = 1 << 0,         // uv_tcp_init() done
    f_closing = 1 << 1,        // close() or abort() called
    f_reading = 1 << 2,        // uv_read_start() active
    f_armed = 1 << 3,          // the TimerNode is on the wheel (else on the loop's parked list)
    f_shutdown = 1 << 4,       // shutdown() called: no more output
    f_shutdown_sent = 1 << 5,  // uv_shutdown() issued
  };

  static TCPConnection& from_timer_node(TimerNode& node) noexcept {
    return static_cast<TCPConnection&>(node);
  }
  static void timer_expired(TimerNode& node) noexcept;
  static void alloc_cb(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void write_cb(uv_write_t* req, int status);
  static void shutdown_cb(uv_shutdown_t* req, int status);
  static void connect_cb(uv_connect_t* req, int status);
  static void close_cb(uv_handle_t* handle);

  uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  void init_handle() noexcept;
  void leave_registry() noexcept;
  std::error_code accept_from(uv_stream_t* server, bool tcp_nodelay,
                              const TlsContextHolder* tls) noexcept;
  // TLS paths (tcp_connection_tls.cpp).
  void tls_read(std::size_t nread) noexcept;
  // Encrypts `plaintext` (emptied) into the loop's TLS output and sends that.
  void tls_send(core::Buffer& plaintext) noexcept;
  // Sends ciphertext made outside a flush (handshake, alerts), behind what is in flight.
  void send_ciphertext(core::Buffer& ciphertext) noexcept;
  // write_cb: the next uv_write is the ciphertext made meanwhile and the encrypted backlog.
  void tls_next_write() noexcept;
  // shutdown(): a close_notify behind everything written.
  void tls_shutdown() noexcept;
  // close() without a write in flight: one attempt for the corked plaintext, encrypted, and a
  // close_notify.
  void tls_close() noexcept;
  // Tunnel paths (tcp_connection_tunnel.cpp): a read during the proxy handshake, and the end of
  // the tunnel state (the write state in flight moves back into side_).
  void tunnel_read(ssize_t nread, const uv_buf_t* buf) noexcept;
  void tunnel_bytes(std::uint8_t* bytes, std::size_t nread) noexcept;
  void tunnel_eof(std::error_code ec) noexcept;
  std::unique_ptr<Tunnel> end_tunnel() noexcept;
  static void delete_tunnel(Tunnel* tunnel) noexcept;
  // The write state slot of the Tunnel that `side` (side_ without its tag) points to.
  static std::unique_ptr<WriteState>& tunnel_write_state(std::uintptr_t side) noexcept;
  void send(core::Buffer& bytes) noexcept;
  // output() and queued_amount() for the cases their inline fast paths leave: another
  // connection holds the cork, a write is in flight, TLS, a tunnel, closing.
  core::Buffer& output_slow();
  std::size_t queued_amount_slow() const noexcept;
  // One uv_try_write of `bytes`; returns how many the kernel took.
  std::size_t try_write(std::span<const std::uint8_t> bytes) noexcept;
  // Starts a uv_write of `rest` (copied, or moved out of `owner` when it is all of it and large).
  void start_backlog(std::span<const std::uint8_t> rest, core::Buffer* owner) noexcept;
  void start_write() noexcept;
  void maybe_shutdown() noexcept;
  void fail(int status) noexcept;

  std::uint16_t flags_ = 0;  // packed into the TimerNode's tail padding
  uv_tcp_t tcp_;
  // One word for two states that most connections never have, to stay within the budget: the
  // write state (only while a uv_write is in flight) and the TLS session (only on a TLS
  // connection). Without side_tls it is a WriteState* or 0; with it, a TlsSide* holding both.
  // With side_tunnel (only during a proxy handshake) it is a Tunnel* holding the write state.
  static constexpr std::uintptr_t side_tls = 1;
  static constexpr std::uintptr_t side_tunnel = 2;
  std::uintptr_t side_ = 0;
  // The write state in flight, or nullptr. Inline for a plain connection (side_ untagged: a
  // WriteState* or 0), on the path of every read and send; TLS and tunnels ask
  // tagged_write_state().
  WriteState* write_state() const noexcept {
    if ((side_ & (side_tls | side_tunnel)) == 0) return reinterpret_cast<WriteState*>(side_);
    return tagged_write_state();
  }
  // write_state() of a TLS connection or one running a proxy tunnel (tcp_connection_tls.cpp).
  WriteState* tagged_write_state() const noexcept;
  void set_write_state(std::unique_ptr<WriteState> state) noexcept;
  TlsSession* tls_session() const noexcept;
  void set_tls_session(std::unique_ptr<TlsSession> session);
};

// The per-connection memory budget (at most 400 bytes of RSS per idle WebSocket in total, of
// which the uv_tcp_t is 248; detail::Connection's static_assert holds the whole).
static_assert(sizeof(TCPConnection) <= 320, "TCPConnection grew beyond its memory budget");

// Called for every message sent (WebSocket::send checks the backpressure limit before and
// after): inline, so that an open plain connection which already holds its loop's cork and
// has no write in flight (side_ == 0: no write state, no TLS, no tunnel) pays a few
// instructions instead of three calls.
inline core::Buffer& TCPConnection::output() {
  Loop& l = loop();
  if (l.cork_holder_ == this && side_ == 0 &&
      (flags_ & (f_handle | f_closing | f_shutdown)) == f_handle) {
    return l.cork_;
  }
  return output_slow();
}

inline void TCPConnection::touch() noexcept {
  if (flags_ & f_armed) loop().wheel_->touch(*this);
}

inline std::size_t TCPConnection::queued_amount() const noexcept {
  return side_ == 0 ? 0 : queued_amount_slow();
}

inline std::size_t TCPConnection::buffered_amount() const noexcept {
  const Loop& l = loop();
  return (l.cork_holder_ == this ? l.cork_.size() : 0) + queued_amount();
}

}  // namespace uvws::net
