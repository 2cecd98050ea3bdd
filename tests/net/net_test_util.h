// Helpers for the net tests: a bounded loop pump and a raw libuv client (TCP or Unix socket)
// that records what it receives.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "uvws/net/loop.h"

namespace uvws::net::test {

// Runs a Loop iteration by iteration until a condition holds or a deadline passes. A 5 ms
// repeating timer keeps every iteration short, so a test never blocks for good.
class Pump {
 public:
  explicit Pump(Loop& loop) : loop_(loop), timer_(new uv_timer_t) {
    uv_timer_init(loop.uv(), timer_);
    uv_timer_start(
        timer_, [](uv_timer_t*) {}, 5, 5);
  }
  ~Pump() {
    auto* h = reinterpret_cast<uv_handle_t*>(timer_);
    if (uv_is_closing(h)) {  // already closed by Loop::close_all()
      delete timer_;
      return;
    }
    uv_close(h, [](uv_handle_t* closed) { delete reinterpret_cast<uv_timer_t*>(closed); });
  }
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;

  template <class Pred>
  bool until(Pred&& done, std::uint64_t timeout_ms = 5000) {
    const std::uint64_t deadline = uv_hrtime() + timeout_ms * 1000000u;
    while (!done()) {
      if (uv_hrtime() > deadline) return false;
      loop_.run_once();
    }
    return true;
  }
  // Runs for about `ms` milliseconds.
  void run_for(std::uint64_t ms) {
    const std::uint64_t end = uv_hrtime() + ms * 1000000u;
    until([&] { return uv_hrtime() >= end; }, ms + 1000);
  }

 private:
  Loop& loop_;
  uv_timer_t* timer_;
};

// A client on a raw libuv stream. Heap-allocated; close() deletes it once libuv is done, so read
// its fields before calling close().
class RawClient {
 public:
  static RawClient* tcp(Loop& loop, const sockaddr* addr) {
    auto* c = new RawClient;
    uv_tcp_init(loop.uv(), &c->h_.tcp);
    c->h_.tcp.data = c;
    c->connect_.data = c;
    const int rc = uv_tcp_connect(&c->connect_, &c->h_.tcp, addr, &RawClient::connect_cb);
    if (rc != 0) c->connect_status = rc;
    return c;
  }
  static RawClient* unix_socket(Loop& loop, const std::string& path) {
    auto* c = new RawClient;
    uv_pipe_init(loop.uv(), &c->h_.pipe, 0);
    c->h_.pipe.data = c;
    c->connect_.data = c;
    uv_pipe_connect(&c->connect_, &c->h_.pipe, path.c_str(), &RawClient::connect_cb);
    return c;
  }

  void write(std::string bytes) {
    auto* req = new WriteReq;
    req->bytes = std::move(bytes);
    req->req.data = req;
    uv_buf_t b = uv_buf_init(req->bytes.data(), static_cast<unsigned int>(req->bytes.size()));
    uv_write(&req->req, stream(), &b, 1,
             [](uv_write_t* r, int) { delete static_cast<WriteReq*>(r->data); });
  }
  void start_reading() {
    uv_read_start(
        stream(),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
          static char scratch[65536];
          *buf = uv_buf_init(scratch, sizeof scratch);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          auto* self = static_cast<RawClient*>(s->data);
          if (n > 0) {
            self->received.append(buf->base, static_cast<std::size_t>(n));
          } else if (n == UV_EOF) {
            self->eof = true;
          } else if (n < 0) {
            self->read_error = static_cast<int>(n);
            uv_read_stop(s);
          }
        });
  }
  void stop_reading() { uv_read_stop(stream()); }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&h_),
             [](uv_handle_t* h) { delete static_cast<RawClient*>(h->data); });
  }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h_); }

  int connect_status = 1;  // 1: pending, then the libuv status
  bool connected() const { return connect_status == 0; }
  std::string received;
  bool eof = false;
  int read_error = 0;

 private:
  struct WriteReq {
    uv_write_t req;
    std::string bytes;
  };
  RawClient() = default;
  static void connect_cb(uv_connect_t* req, int status) {
    static_cast<RawClient*>(req->data)->connect_status = status;
  }

  union Handle {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_{};
  uv_connect_t connect_{};
};

// 127.0.0.1:port
inline sockaddr_in ip4(std::uint16_t port) {
  sockaddr_in a{};
  uv_ip4_addr("127.0.0.1", port, &a);
  return a;
}

}  // namespace uvws::net::test
