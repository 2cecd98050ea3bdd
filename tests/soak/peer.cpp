#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

namespace soak {

namespace {

struct WriteReq {
  uv_write_t req;
  std::string bytes;
};

// One read buffer for every peer: libuv reads into it and calls back before the next read.
char read_buffer[64 * 1024];

}  // namespace

Peer::Peer(PeerHost& host, std::uint64_t key, const char* kind)
    : host_(host), rng_(key * 0x2545F4914F6CDD1DULL + 1), kind_(kind), key_(key) {}

void Peer::start() {
  start_ns_ = uv_hrtime();
  tcp_.data = this;
  timer_.data = this;
  uv_timer_init(host_.loop(), &timer_);
  ++open_handles_;
  // The socket now, not at connect, so that before_connect() can set its options.
  const int rc = uv_tcp_init_ex(host_.loop(), &tcp_, AF_INET);
  if (rc != 0) {
    host_.stats().fail(std::string("socket: ") + uv_strerror(rc));
    finishing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close_cb);
    return;
  }
  ++open_handles_;
  uv_tcp_nodelay(&tcp_, 1);
  if (const std::size_t n = host_.options().source_addresses; n > 0) {
    // The port is chosen at connect, for the whole 4-tuple (IP_BIND_ADDRESS_NO_PORT).
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd);
    const int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(0x7F000002u + static_cast<std::uint32_t>(key_ % n));
    const int b = uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&local), 0);
    if (b != 0) {
      end(b);
      return;
    }
  }
  before_connect();
  connect_req_.data = this;
  const int c = uv_tcp_connect(&connect_req_, &tcp_,
                               reinterpret_cast<const sockaddr*>(&host_.server()), on_connect_cb);
  if (c != 0) end(c);
}

void Peer::on_connect_cb(uv_connect_t* req, int status) {
  auto* self = static_cast<Peer*>(req->data);
  if (self->finishing_) return;
  if (status != 0) {
    self->end(status);
    return;
  }
  self->connected_ = true;
  self->resume_reading();
  self->on_connected();
}

void Peer::on_alloc_cb(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(read_buffer, sizeof read_buffer);
}

void Peer::on_read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Peer*>(stream->data);
  if (self->finishing_ || nread == 0) return;
  if (nread < 0) {
    self->end(static_cast<int>(nread));
    return;
  }
  self->on_bytes(
      {reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)});
}

void Peer::send(std::string bytes) {
  if (finishing_ || ended_ || bytes.empty()) return;
  auto* w = new WriteReq{{}, std::move(bytes)};
  w->req.data = this;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write_cb);
  if (rc != 0) {
    delete w;
    end(rc);
  }
}

void Peer::on_write_cb(uv_write_t* req, int status) {
  std::unique_ptr<WriteReq> w(reinterpret_cast<WriteReq*>(req));
  auto* self = static_cast<Peer*>(req->data);
  if (status != 0 && !self->finishing_) self->end(status);
}

void Peer::half_close() {
  if (finishing_ || ended_ || shut_) return;
  shut_ = true;
  auto* req = new uv_shutdown_t{};
  req->data = this;
  const int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown_cb);
  if (rc != 0) {
    delete req;
    end(rc);
  }
}

void Peer::on_shutdown_cb(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Peer*>(req->data);
  delete req;
  if (status != 0 && !self->finishing_) self->end(status);
}

void Peer::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void Peer::resume_reading() {
  if (reading_ || finishing_ || !connected_) return;
  reading_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc_cb, on_read_cb);
}

void Peer::set_timer(std::uint64_t ms) {
  if (!finishing_) uv_timer_start(&timer_, on_timer_cb, ms, 0);
}

void Peer::cancel_timer() {
  uv_timer_stop(&timer_);
}

void Peer::on_timer_cb(uv_timer_t* timer) {
  auto* self = static_cast<Peer*>(timer->data);
  if (!self->finishing_) self->on_timer();
}

void Peer::end(int status) {
  if (ended_ || finishing_) return;
  ended_ = true;
  on_end(status);
}

void Peer::finish(bool reset) {
  if (finishing_) return;
  finishing_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close_cb);
  if (open_handles_ < 2) return;
  auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
  // uv_tcp_close_reset refuses a handle with a shutdown under way: a plain close then.
  if (!reset || shut_ || !connected_ || uv_tcp_close_reset(&tcp_, on_close_cb) != 0) {
    uv_close(handle, on_close_cb);
  }
}

void Peer::fail(const std::string& what) {
  host_.stats().fail(std::string(kind_) + " peer " + std::to_string(key_) + ": " + what);
  finish(true);
}

void Peer::on_close_cb(uv_handle_t* handle) {
  auto* self = static_cast<Peer*>(handle->data);
  if (--self->open_handles_ == 0) self->host_.closed(*self);
}

}  // namespace soak
