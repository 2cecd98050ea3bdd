// uvws_soak_client: the soak test's client (see soak.h for its phases, fault_peer.h for the
// faults, tests/soak/soak.sh for how it is run against uvws-echo).
#include <csignal>
#include <cstdio>
#include <exception>

#include "options.h"
#include "soak.h"

int main(int argc, char** argv) {
  // A write to a socket the server reset must be an error to handle, not a SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    soak::Soak soak(soak::parse_options(argc, argv));
    return soak.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws_soak_client: %s\n", e.what());
    return 2;
  }
}
