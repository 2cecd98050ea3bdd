#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace soak {

namespace {

[[noreturn]] void usage(int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: uvws_soak_client --port N --server-pid PID [--host 127.0.0.1]\n"
               "         [--connections 20000] [--seconds 30] [--seed S] [--fault-percent 5]\n"
               "         [--interval-ms 1000] [--connect-window 384]\n"
               "         [--handshake-timeout-ms 10000] [--close-timeout-ms 5000]\n"
               "         [--max-rss-mib M] [--source-addresses 8]\n"
               "         [--faults reset,half_close,stall,garbage,slow]\n"
               "Soaks the echo server at --port with that many connections: well-behaved\n"
               "peers echo in order while the faulty slots cycle through resets, half-closes,\n"
               "stalled readers, garbage and slow handshakes; then every peer closes, the\n"
               "server's descriptors must be back to their first count, a fresh set of peers\n"
               "opens, the server gets SIGTERM and each must receive a close frame with 1001.\n"
               "Exits 0 when every check passed.\n");
  std::exit(status);
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") usage(0);
    if (i + 1 >= argc) usage(2);
    const std::string value = argv[++i];
    try {
      if (arg == "--host") {
        o.host = value;
      } else if (arg == "--port") {
        o.port = static_cast<std::uint16_t>(std::stoul(value));
      } else if (arg == "--server-pid") {
        o.server_pid = static_cast<pid_t>(std::stol(value));
      } else if (arg == "--connections") {
        o.connections = std::stoul(value);
      } else if (arg == "--seconds") {
        o.seconds = std::stod(value);
      } else if (arg == "--seed") {
        o.seed = std::stoull(value);
      } else if (arg == "--fault-percent") {
        o.fault_percent = std::stod(value);
      } else if (arg == "--interval-ms") {
        o.interval_ms = std::stoull(value);
      } else if (arg == "--connect-window") {
        o.connect_window = std::stoul(value);
      } else if (arg == "--close-timeout-ms") {
        o.close_timeout_ms = std::stoull(value);
      } else if (arg == "--handshake-timeout-ms") {
        o.handshake_timeout_ms = std::stoull(value);
      } else if (arg == "--source-addresses") {
        o.source_addresses = std::stoul(value);
      } else if (arg == "--faults") {
        o.faults = value;
      } else if (arg == "--max-rss-mib") {
        o.max_rss_mib = std::stoul(value);
      } else {
        usage(2);
      }
    } catch (const std::logic_error&) {
      usage(2);
    }
  }
  if (o.port == 0 || o.server_pid <= 0 || o.connections == 0 || o.connect_window == 0) usage(2);
  return o;
}

}  // namespace soak
