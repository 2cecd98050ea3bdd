// Peer: one TCP connection of the soak client on libuv, and what a peer needs of the soak
// (PeerHost). Subclasses are the well-behaved echo peer and the faulty ones; this class owns
// the socket and the one timer, and turns libuv's callbacks into on_connected(), on_bytes(),
// on_end() (the connection ended: EOF, a reset, a failed connect or write; once) and
// on_timer(). finish() closes both handles; when both are closed the host is told and deletes
// the peer.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "options.h"
#include "payload.h"
#include "stats.h"

namespace soak {

class Peer;

class PeerHost {
 public:
  virtual uv_loop_t* loop() = 0;
  virtual const sockaddr_in& server() const = 0;
  virtual const Options& options() const = 0;
  virtual Stats& stats() = 0;
  // The peer's handshake is over (done, refused or given up): a connect window place frees.
  virtual void handshake_over(Peer& peer) = 0;
  // A final-phase peer has had its first echo: the server may be stopped once all have.
  virtual void ready(Peer& peer) = 0;
  // Both handles are closed: the host deletes `peer`.
  virtual void closed(Peer& peer) = 0;

 protected:
  ~PeerHost() = default;
};

class Peer {
 public:
  Peer(PeerHost& host, std::uint64_t key, const char* kind);
  virtual ~Peer() = default;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Opens the socket and connects to the host's server.
  void start();
  // The soak phase is over: end soon (a well-behaved peer closes cleanly, a faulty one resets).
  virtual void drain() = 0;

  const char* kind() const { return kind_; }
  std::uint64_t key() const { return key_; }
  bool finishing() const { return finishing_; }
  // The soak's bookkeeping: the slot this peer occupies, whether it took a connect window place.
  std::size_t slot = 0;
  bool in_window = false;
  bool in_ramp = false;  // one of the ramp's first peers whose handshake is not over yet

 protected:
  // Before connect, with the socket created (e.g. to shrink its receive buffer).
  virtual void before_connect() {}
  virtual void on_connected() = 0;
  virtual void on_bytes(std::span<const std::uint8_t> bytes) = 0;
  // `status`: UV_EOF, or the libuv error of the read, write or connect.
  virtual void on_end(int status) = 0;
  virtual void on_timer() = 0;

  void send(std::string bytes);
  void half_close();  // uv_shutdown: a FIN after what is queued
  void stop_reading();
  void resume_reading();
  void set_timer(std::uint64_t ms);
  void cancel_timer();
  std::size_t write_queue() const { return tcp_.write_queue_size; }
  std::uint64_t now() const { return uv_now(host_.loop()); }
  // Real time (not the loop's cached time), in ms since start() began the connect: the server
  // cannot have accepted the connection before that.
  std::uint64_t since_start_ms() const { return (uv_hrtime() - start_ns_) / 1000000; }
  // Closes the connection: with `reset`, an RST (SO_LINGER 0) instead of a FIN.
  void finish(bool reset);
  // Records a failure naming this peer, then resets the connection.
  void fail(const std::string& what);
  // Records an event for this kind of peer ("<kind>.<what>").
  void count(const std::string& what) { host_.stats().count(std::string(kind_) + "." + what); }

  PeerHost& host_;
  Rng rng_;
  uv_tcp_t tcp_{};

 private:
  static void on_connect_cb(uv_connect_t* req, int status);
  static void on_alloc_cb(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write_cb(uv_write_t* req, int status);
  static void on_shutdown_cb(uv_shutdown_t* req, int status);
  static void on_timer_cb(uv_timer_t* timer);
  static void on_close_cb(uv_handle_t* handle);
  void end(int status);

  const char* kind_;
  std::uint64_t key_;
  uv_timer_t timer_{};
  std::uint64_t start_ns_ = 0;
  uv_connect_t connect_req_{};
  bool connected_ = false;
  bool reading_ = false;
  bool shut_ = false;
  bool ended_ = false;
  bool finishing_ = false;
  int open_handles_ = 0;
};

}  // namespace soak
