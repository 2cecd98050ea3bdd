// The soak client's command line (see --help in options.cpp).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace soak {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  pid_t server_pid = 0;              // probed through /proc, sent SIGTERM at the end
  std::size_t connections = 20000;   // open at once during the soak and the shutdown phase
  double seconds = 30;               // length of the soak phase (after the ramp)
  std::uint64_t seed = 0;            // 0: from the clock; printed either way
  double fault_percent = 5;          // share of the slots that host faulty peers
  std::uint64_t interval_ms = 1000;  // mean pause of a well-behaved peer between bursts
  std::size_t connect_window = 384;  // handshakes under way at once (below the backlog of 511)
  std::uint64_t handshake_timeout_ms = 10000;  // the server's (ServerOptions default)
  std::uint64_t close_timeout_ms = 5000;       // the server's (ServerOptions default)
  std::size_t max_rss_mib = 0;                 // 0: no bound
  // Local addresses 127.0.0.2 .. 127.0.0.(1 + N) the peers connect from, in turn (0: the
  // kernel's choice). Linux picks a connect's ephemeral port by scanning its range for a
  // free 4-tuple; with 20,000 connections to one address from one address the scans make
  // each connect cost about a millisecond of system time, spread over 8 addresses they do not.
  std::size_t source_addresses = 8;
  // The kinds of faulty peer drawn, comma-separated (fault_peer.h), each as likely.
  std::string faults = "reset,half_close,stall,garbage,slow";
};

// Parses argv; prints usage and exits on errors or --help.
Options parse_options(int argc, char** argv);

}  // namespace soak
