// The command line of the C++ echo peers (bench-echo-websocketpp, bench-echo-beast):
//   [--port N] [--tls CERT.pem KEY.pem]
// Port 0 means any free port; without --tls the peer serves plain WebSocket.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace uvws::bench {

struct PeerOptions {
  unsigned short port = 0;
  std::string cert;  // empty: no TLS
  std::string key;
};

// Parses argv into `o`; on a bad argument prints the usage of `program` and returns false.
inline bool parse_peer_options(int argc, char** argv, const char* program, PeerOptions& o) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      o.port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
      o.cert = argv[++i];
      o.key = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--tls CERT.pem KEY.pem]\n", program);
      return false;
    }
  }
  return true;
}

}  // namespace uvws::bench
