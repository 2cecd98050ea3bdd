// uvws-loadgen: a WebSocket echo load generator on raw epoll (see load_generator.h).
//
//   uvws-loadgen --port 9001 --connections 100 --size 20 --inflight 1 --duration 5
//   uvws-loadgen --port 9001 --connections 10000 --idle
//
// Exit status: 0 when every connection opened and every echo matched, 1 otherwise, 2 on bad
// usage.
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "load_generator.h"
#include "options.h"

int main(int argc, char** argv) {
  uvws::bench::Options options;
  try {
    options = uvws::bench::parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "uvws-loadgen: %s\n%s", e.what(), uvws::bench::usage_text());
    return 2;
  }
  try {
    uvws::bench::LoadGenerator generator(options);
    return generator.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-loadgen: %s\n", e.what());
    return 1;
  }
}
