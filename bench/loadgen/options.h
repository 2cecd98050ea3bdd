// Options of uvws-loadgen, parsed from the command line.
//
// A plain struct with stated defaults; parse_options() fills it from argv and throws
// std::invalid_argument (with a message naming the option) on a bad or missing value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace uvws::bench {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  std::string path = "/";
  std::size_t connections = 100;
  std::size_t size = 20;       // payload bytes per message
  std::size_t inflight = 1;    // messages in flight per connection (pipelined)
  double duration = 0;         // measured seconds; 0: until --messages, a signal, or 10 s
  std::uint64_t messages = 0;  // measured echoes; 0: by duration
  double warmup = 0;           // seconds of traffic before the measured window
  bool binary = false;
  double rate = 0;  // messages per second over all connections; 0: closed loop
  bool idle = false;
  bool deflate = false;     // --idle only: permessage-deflate and one compressed message each
  bool tls = false;         // WebSocket over TLS 1.3 (wss), no certificate verification
  bool handshakes = false;  // repeated connect, handshakes and close (see load_generator.h)
  bool resume = false;      // --handshakes with TLS: offer the previous connection's session
  std::size_t connect_batch = 128;  // connections connecting or handshaking at once
  int server_pid = 0;               // whose CPU time to report over the measured window
  bool quiet = false;               // no progress lines on stderr
};

// Parses argv; `--help` prints the usage and exits 0.
Options parse_options(int argc, char** argv);

// The usage text.
const char* usage_text();

}  // namespace uvws::bench
