// TCPConnection's reading, writing, shutdown and close. Over 400 lines: these share the flags,
// the cork and the write state and read best together; TLS (tcp_connection_tls.cpp), the proxy
// tunnel (tcp_connection_tunnel.cpp) and connecting (tcp_connect.cpp) live apart.
#include "uvws/net/tcp_connection.h"

#include <algorithm>
#include <cassert>

#include "detail.h"
#include "tcp_write_state.h"
#include "uvws/net/error.h"
#include "uvws/net/tls_session.h"

namespace uvws::net {

namespace {

// A partial write leaves its rest to uv_write. Small rests are copied out of the shared cork
// buffer (which keeps its capacity for every other connection); a large rest takes the cork's
// memory instead of copying it.
constexpr std::size_t copy_rest_limit = 64 * 1024;
// The cork buffer keeps up to this much capacity between iterations; more is released after a
// large send so that one big message does not pin memory for the loop's lifetime.
constexpr std::size_t cork_keep_capacity = 1024 * 1024;

// uv_buf_init() without the call into libuv (it is not inline): the same two fields, the length
// cut to unsigned int as uv_buf_init() takes it.
uv_buf_t make_uv_buf(const std::uint8_t* data, std::size_t size) noexcept {
  uv_buf_t b;
  b.base = const_cast<char*>(reinterpret_cast<const char*>(data));
  b.len = static_cast<unsigned int>(size);
  return b;
}

uv_buf_t as_uv_buf(core::Buffer& b) noexcept {
  return make_uv_buf(b.data(), b.size());
}

}  // namespace

TCPConnection::TCPConnection(Loop& loop) noexcept {
  // uv_tcp_init() waits for accept or connect (init_handle): a subclass constructor that throws
  // must leave no handle behind on the loop. Until then the handle's loop field carries the loop.
  tcp_.loop = loop.uv();
  tcp_.data = this;
  detail::list_push_back(loop.parked_, *this);
  ++loop.connection_count_;
}

TCPConnection::~TCPConnection() {
  leave_registry();  // already done by close(), unless a subclass constructor threw
  --loop().connection_count_;
  if (side_ & side_tls) {
    delete reinterpret_cast<TlsSide*>(side_ & ~side_tls);
  } else if (side_ & side_tunnel) {
    delete_tunnel(reinterpret_cast<Tunnel*>(side_ & ~side_tunnel));
  } else {
    delete reinterpret_cast<WriteState*>(side_);
  }
}

void TCPConnection::leave_registry() noexcept {
  if (flags_ & f_armed) {
    loop().wheel_->cancel(*this);
    flags_ &= static_cast<std::uint16_t>(~f_armed);
  } else if (TimerWheel::scheduled(*this)) {
    detail::list_unlink(*this);
  }
}

void TCPConnection::init_handle() noexcept {
  if (flags_ & f_handle) return;
  uv_tcp_init(tcp_.loop, &tcp_);  // without a socket yet: cannot fail
  tcp_.data = this;
  flags_ |= f_handle;
}

// --- Reading ------------------------------------------------------------------------------------

void TCPConnection::alloc_cb(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  // Every connection of the loop reads into the same buffer: safe because on_data() consumes
  // the bytes before the next read, and it spares each connection a buffer of its own.
  // TLS connections read behind the headroom that their plaintext may need (tls_read).
  Loop& l = Loop::from(handle->loop);
  const bool tls = from_handle(handle)->tls();
  buf->base = reinterpret_cast<char*>(l.read_buffer_.get() + (tls ? Loop::tls_headroom : 0));
  buf->len = l.read_buffer_size_;
}

void TCPConnection::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto& c = *from_handle(reinterpret_cast<uv_handle_t*>(stream));
  if (c.tunneling() && nread != 0) {
    c.tunnel_read(nread, buf);  // a proxy handshake runs (tcp_connection_tunnel.cpp)
  } else if (nread > 0 && c.tls()) {
    ++c.loop().stats_.reads;
    c.tls_read(static_cast<std::size_t>(nread));
  } else if (nread > 0) {
    Loop& l = c.loop();
    ++l.stats_.reads;
    auto* bytes = reinterpret_cast<std::uint8_t*>(buf->base);
    detail::call_hook(c, "on_data", [&] { c.on_data({bytes, static_cast<std::size_t>(nread)}); });
    // One write syscall for everything the bytes of this read produced.
    if (l.cork_holder_ == &c) c.flush();
  } else if (nread == UV_EOF) {
    c.flags_ &= static_cast<std::uint16_t>(~f_reading);  // libuv stopped reading
    detail::call_hook(c, "on_eof", [&] { c.on_eof(); });
    if (c.loop().cork_holder_ == &c) c.flush();
  } else if (nread < 0) {
    c.fail(static_cast<int>(nread));
  }
}

std::error_code TCPConnection::start_reading() noexcept {
  if (closing()) return uv_error(UV_EINVAL);
  if (!(flags_ & f_handle)) return uv_error(UV_ENOTCONN);
  if (reading()) return {};
  const int rc = uv_read_start(stream(), &TCPConnection::alloc_cb, &TCPConnection::read_cb);
  if (rc == 0) flags_ |= f_reading;
  return uv_error(rc);
}

void TCPConnection::stop_reading() noexcept {
  if (!reading()) return;
  uv_read_stop(stream());
  flags_ &= static_cast<std::uint16_t>(~f_reading);
}

// --- Writing ------------------------------------------------------------------------------------

core::Buffer& TCPConnection::output_slow() {
  Loop& l = loop();
  if ((flags_ & (f_handle | f_closing | f_shutdown)) != f_handle) {
    if (l.discard_.capacity() > cork_keep_capacity) {
      l.discard_.release();
    } else {
      l.discard_.clear();
    }
    return l.discard_;
  }
  if (write_state()) return write_state()->backlog;  // behind the bytes in flight
  if (l.cork_holder_ != this) {
    if (l.cork_holder_ != nullptr) l.cork_holder_->flush();
    l.cork_holder_ = this;
  }
  return l.cork_;
}

void TCPConnection::flush() noexcept {
  Loop& l = loop();
  if (l.cork_holder_ != this) return;
  // output() never makes a connection with a write in flight the cork holder.
  assert(!write_state());
  l.cork_holder_ = nullptr;
  if (tls()) {
    tls_send(l.cork_);
  } else {
    send(l.cork_);
  }
  if (l.cork_.empty() && l.cork_.capacity() > cork_keep_capacity) l.cork_.release();
}

void TCPConnection::write_shared(std::span<const std::span<const std::uint8_t>> parts) {
  if (parts.empty()) return;
  // TLS encrypts anyway: the parts join the cork and are encrypted with it at the flush (one
  // SSL_write for the iteration, fewer and fuller records).
  if ((flags_ & (f_handle | f_closing | f_shutdown)) != f_handle || write_state() || tls()) {
    for (const auto& p : parts) output().append(p);  // dropped, or queued behind the backlog
    return;
  }
  if (loop().cork_holder_ == this) flush();  // what was corked goes first
  // Batches of iovecs on the stack (writev takes at most IOV_MAX, 1024, per call).
  constexpr std::size_t batch = 64;
  uv_buf_t bufs[batch];
  while (!parts.empty() && !write_state()) {
    const std::size_t n = std::min(batch, parts.size());
    std::size_t total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      bufs[k] = make_uv_buf(parts[k].data(), parts[k].size());
      total += parts[k].size();
    }
    ++loop().stats_.try_writes;
    const int rc = uv_try_write(stream(), bufs, static_cast<unsigned int>(n));
    std::size_t taken = rc > 0 ? static_cast<std::size_t>(rc) : 0;
    if (taken == total) {
      parts = parts.subspan(n);
      continue;
    }
    // The kernel took part of the batch: the rest of it, and every later part, is backlog.
    std::size_t k = 0;
    while (taken >= parts[k].size()) taken -= parts[k++].size();
    start_backlog(parts[k].subspan(taken), nullptr);
    parts = parts.subspan(k + 1);
  }
  for (const auto& p : parts) output().append(p);  // behind the backlog, in order
}

void TCPConnection::send(core::Buffer& bytes) noexcept {
  if (bytes.empty()) return;
  bytes.consume(try_write(bytes.span()));
  if (bytes.empty()) return;
  start_backlog(bytes.span(), &bytes);
  bytes.clear();
}

std::size_t TCPConnection::try_write(std::span<const std::uint8_t> bytes) noexcept {
  // The fast path: one writev() syscall that usually takes everything, no request, no copy.
  ++loop().stats_.try_writes;
  uv_buf_t b = make_uv_buf(bytes.data(), bytes.size());
  const int n = uv_try_write(stream(), &b, 1);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void TCPConnection::start_backlog(std::span<const std::uint8_t> rest,
                                  core::Buffer* owner) noexcept {
  // The kernel refused some (or failed: then uv_write reports the error from its callback, so
  // on_error never runs inside output() or flush()). A large rest that sits at the front of
  // `owner` takes its memory instead of being copied.
  try {
    set_write_state(std::make_unique<WriteState>());
    if (owner != nullptr && rest.size() > copy_rest_limit && rest.data() == owner->data()) {
      write_state()->in_flight = std::move(*owner);
    } else {
      write_state()->in_flight.append(rest);
    }
  } catch (const std::bad_alloc&) {
    set_write_state(nullptr);
    detail::log().error("out of memory for a write backlog; closing the connection");
    close();
    return;
  }
  start_write();
}

void TCPConnection::start_write() noexcept {
  ++loop().stats_.writes;
  write_state()->req.data = this;
  uv_buf_t b = as_uv_buf(write_state()->in_flight);
  const int rc = uv_write(&write_state()->req, stream(), &b, 1, &TCPConnection::write_cb);
  if (rc != 0) {
    write_state()->deferred_error = rc;
    close();
  }
}

void TCPConnection::write_cb(uv_write_t* req, int status) {
  auto& c = *static_cast<TCPConnection*>(req->data);
  if (status < 0) {
    // ECANCELED: closed meanwhile; the write state goes with the connection.
    if (status != UV_ECANCELED) c.fail(status);
    return;
  }
  WriteState& w = *c.write_state();
  w.in_flight.clear();
  if (!c.closing() && (!w.backlog.empty() || !w.ciphertext.empty())) {
    // Swap, not copy: the emptied buffer keeps its capacity for the next backlog. TLS encrypts
    // the backlog behind the ciphertext made meanwhile.
    if (c.tls()) {
      c.tls_next_write();
      if (c.closing()) return;
    } else {
      std::swap(w.in_flight, w.backlog);
    }
    c.start_write();
    if (!c.closing()) c.maybe_shutdown();
    return;
  }
  c.set_write_state(nullptr);  // drained: the connection holds no buffer again
  if (c.closing()) return;
  c.maybe_shutdown();
  detail::call_hook(c, "on_drain", [&] { c.on_drain(); });
}

std::size_t TCPConnection::queued_amount_slow() const noexcept {
  if (!write_state()) return 0;
  return tcp_.write_queue_size + write_state()->backlog.size() + write_state()->ciphertext.size();
}

// --- Timer --------------------------------------------------------------------------------------

// The node is on the wheel while armed and on the loop's parked list otherwise (the registry of
// connections); close() takes it off both.
void TCPConnection::arm_timer(std::uint32_t ms) noexcept {
  if (closing()) return;
  if (!(flags_ & f_armed)) {
    detail::list_unlink(*this);
    flags_ |= f_armed;
  }
  loop().wheel_->schedule(*this, ms);
}

void TCPConnection::disarm_timer() noexcept {
  if (!(flags_ & f_armed)) return;
  Loop& l = loop();
  l.wheel_->cancel(*this);
  flags_ &= static_cast<std::uint16_t>(~f_armed);
  detail::list_push_back(l.parked_, *this);
}

void TCPConnection::timer_expired(TimerNode& node) noexcept {
  TCPConnection& c = from_timer_node(node);
  c.flags_ &= static_cast<std::uint16_t>(~f_armed);
  detail::list_push_back(c.loop().parked_, c);
  detail::call_hook(c, "on_timer", [&] { c.on_timer(); });
}

// --- Shutdown and close -------------------------------------------------------------------------

void TCPConnection::shutdown() noexcept {
  if (closing() || (flags_ & f_shutdown)) return;
  if (!(flags_ & f_handle)) {
    close();
    return;
  }
  flush();
  flags_ |= f_shutdown;
  if (tls()) tls_shutdown();
  maybe_shutdown();
}

void TCPConnection::maybe_shutdown() noexcept {
  if ((flags_ & (f_shutdown | f_shutdown_sent)) != f_shutdown) return;
  // uv_shutdown waits for the writes already queued in libuv, but a backlog not yet handed to
  // uv_write would be cut off: wait until write_cb has passed it on.
  if (write_state() && (!write_state()->backlog.empty() || !write_state()->ciphertext.empty()))
    return;
  flags_ |= f_shutdown_sent;
  auto* req = new uv_shutdown_t;
  req->data = this;
  const int rc = uv_shutdown(req, stream(), &TCPConnection::shutdown_cb);
  if (rc != 0) {
    delete req;
    fail(rc);
  }
}

void TCPConnection::shutdown_cb(uv_shutdown_t* req, int status) {
  auto& c = *static_cast<TCPConnection*>(req->data);
  delete req;
  if (status < 0 && status != UV_ECANCELED) c.fail(status);
}

void TCPConnection::fail(int status) noexcept {
  if (closing()) return;
  detail::call_hook(*this, "on_error", [&] { on_error(uv_error(status)); });
  close();
}

void TCPConnection::close() noexcept {
  if (closing()) return;
  flags_ |= f_closing;
  leave_registry();
  init_handle();
  Loop& l = loop();
  if (tls() && !write_state()) {
    tls_close();
  } else if (l.cork_holder_ == this) {
    // One non-blocking attempt for what this iteration wrote (e.g. an HTTP error response or a
    // close frame followed by close()); a uv_write would only be cancelled by the close.
    l.cork_holder_ = nullptr;
    if (!l.cork_.empty()) {
      ++l.stats_.try_writes;
      uv_buf_t b = as_uv_buf(l.cork_);
      uv_try_write(stream(), &b, 1);
      l.cork_.clear();
    }
  }
  flags_ &= static_cast<std::uint16_t>(~f_reading);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &TCPConnection::close_cb);
}

void TCPConnection::abort() noexcept {
  if (closing()) return;
  if (!(flags_ & f_handle)) {
    close();
    return;
  }
  flags_ |= f_closing;
  flags_ &= static_cast<std::uint16_t>(~f_reading);
  leave_registry();
  Loop& l = loop();
  if (l.cork_holder_ == this) {
    l.cork_holder_ = nullptr;
    l.cork_.clear();
  }
  // libuv refuses a reset while a shutdown is pending (EINVAL): then a plain close.
  if (uv_tcp_close_reset(&tcp_, &TCPConnection::close_cb) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &TCPConnection::close_cb);
  }
}

void TCPConnection::close_cb(uv_handle_t* handle) {
  // The one place where a connection is deleted. libuv has already completed its write, shutdown
  // and connect requests (with ECANCELED), so nothing refers to it any more.
  TCPConnection* c = from_handle(handle);
  if (c->write_state() && c->write_state()->deferred_error != 0) {
    const std::error_code ec = uv_error(c->write_state()->deferred_error);
    detail::guarded("on_error", [&] { c->on_error(ec); });
  }
  detail::guarded("on_closed", [&] { c->on_closed(); });
  delete c;
}

}  // namespace uvws::net
