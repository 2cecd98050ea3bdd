// LoadGenerator: uvws-loadgen's engine — an epoll loop on one thread driving every Connection.
//
// run() goes through the phases of a test: raise RLIMIT_NOFILE, connect and handshake all
// connections (at most Options::connect_batch at once, so that the server's listen backlog is
// not overrun), then either hold them idle or send traffic (closed loop with K messages in
// flight per connection, or a fixed total rate), warm up, measure a window, drain, close each
// connection with a close handshake, and print the results: a progress line per second on
// stderr and one JSON object on stdout.
//
// With --tls every connection speaks TLS 1.3 (Connection::use_tls). --handshakes replaces
// the traffic phase: each of the N connections, once it closed, is replaced by a new one, so
// that N connect + TLS handshake + upgrade + close cycles run at once for the whole run; the
// measured window counts the cycles completed in it and the server's CPU time over it. With
// --resume, each connection offers the session of the last one that opened (its TLS 1.3
// ticket), as a browser reconnecting does, and the report says how many were resumed.
//
// Latency is measured from the time a message was sent (closed loop) or due (fixed rate, so
// that a slow server cannot hide its queueing delay) to the time its whole echo was read.
//
// Ownership: owns its sockets and connections. Threads: one. Errors: a failed connection is
// counted and reported (the first few on stderr) and the run goes on; run() returns 1 if any
// connection failed or any echo was wrong. SIGINT/SIGTERM end the current phase gracefully.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connection.h"
#include "histogram.h"
#include "options.h"
#include "payload.h"

namespace uvws::bench {

class LoadGenerator final : private EchoSink {
 public:
  explicit LoadGenerator(Options options);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Runs the whole test; returns the exit status. Throws std::runtime_error when the test
  // cannot start (address does not resolve, epoll unavailable).
  int run();

 private:
  void on_echo(Connection& c, std::uint64_t start_ns, std::uint64_t now_ns) override;

  void resolve();
  void setup_tls();
  std::unique_ptr<Connection> make_connection(std::uint32_t index);
  void start_connection(Connection& c);
  void start_connects();
  void opened(Connection& c);
  // Waits for events up to `timeout_ms` and handles them, then the per-second progress line.
  void poll(int timeout_ms);
  void handle(Connection& c, std::uint32_t events);
  void read_from(Connection& c);
  void update_interest(Connection& c);
  void fail(Connection& c);
  void finished(Connection& c);
  void schedule(std::uint64_t now);
  void progress(std::uint64_t now);

  void connect_all();
  void hold_idle();
  void traffic();
  void cycle_handshakes();
  void begin_window();
  void end_window();
  void close_all();
  void report() const;

  Options options_;
  PayloadPattern pattern_;
  std::vector<std::unique_ptr<Connection>> connections_;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  std::string host_header_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  std::vector<std::uint8_t> read_buffer_;
  SSL_CTX* tls_ctx_ = nullptr;
  SSL_SESSION* session_ = nullptr;  // --resume: the one to offer
  std::string cipher_;              // of the first TLS connection that opened

  // --handshakes: replacing closed connections, and the indexes of those to replace.
  bool cycling_ = false;
  std::vector<std::uint32_t> restart_;
  std::uint64_t window_cycles_ = 0;
  std::uint64_t window_resumed_ = 0;

  std::size_t next_connect_ = 0;
  std::size_t pending_ = 0;  // connecting or handshaking
  std::size_t opened_ = 0;   // completed the handshake
  std::size_t active_ = 0;   // sockets open after the handshake
  std::uint64_t errors_ = 0;

  bool sending_ = false;
  bool measuring_ = false;
  std::vector<Connection*> to_flush_;  // sent to by the rate scheduler, not yet flushed
  std::size_t round_robin_ = 0;
  std::uint64_t rate_start_ns_ = 0;
  std::uint64_t scheduled_ = 0;
  std::uint64_t next_due_ns_ = 0;

  // The measured window.
  std::uint64_t window_start_ns_ = 0;
  std::uint64_t window_end_ns_ = 0;
  std::uint64_t window_echoes_ = 0;
  Histogram latency_;
  double server_cpu_ = -1;        // seconds (utime + stime), -1: not measured
  double server_sched_cpu_ = -1;  // seconds (schedstat), -1: not measured
  double client_cpu_ = 0;
  double server_cpu0_ = -1;  // at the window's start
  double server_sched0_ = -1;
  double client_cpu0_ = 0;
  double held_seconds_ = 0;  // idle mode

  // The current second, for the progress line.
  std::uint64_t second_start_ns_ = 0;
  std::uint64_t second_echoes_ = 0;
  Histogram second_latency_;
};

}  // namespace uvws::bench
