#include "options.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace uvws::bench {

namespace {

template <class T>
T parse_number(std::string_view option, std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    throw std::invalid_argument(std::string(option) + ": not a number: " + std::string(text));
  }
  return value;
}

double parse_seconds(std::string_view option, std::string_view text) {
  const double value = parse_number<double>(option, text);
  if (!(value >= 0)) throw std::invalid_argument(std::string(option) + ": must be >= 0");
  return value;
}

}  // namespace

const char* usage_text() {
  return "usage: uvws-loadgen [--host ADDR] [--port N] [--path /P] [--connections N]\n"
         "                    [--size BYTES] [--inflight K] [--duration S | --messages COUNT]\n"
         "                    [--warmup S] [--binary] [--rate MSGS/S] [--idle]\n"
         "                    [--deflate] [--tls] [--handshakes [--resume]]\n"
         "                    [--connect-batch N] [--server-pid PID] [--quiet]\n"
         "Opens N WebSocket connections, echoes messages of BYTES bytes with K in flight per\n"
         "connection (or at a fixed total rate), verifies every echo, and prints a JSON line.\n"
         "--idle holds the connections open (prints 'idle N') until SIGINT/SIGTERM or --duration.\n"
         "--deflate (with --idle) offers permessage-deflate, which the server must accept, and\n"
         "sends one compressed ~200-byte chat line per connection, whose echo it checks before\n"
         "the connection counts as idle (RFC 7692).\n"
         "--tls speaks TLS 1.3 (wss://) without verifying the server's certificate.\n"
         "--handshakes repeats, on N connections at once, connect + TLS handshake (with --tls)\n"
         "+ upgrade + close handshake for --duration seconds after --warmup, and reports the\n"
         "server's CPU per complete cycle. --resume offers the session (TLS 1.3 ticket) of the\n"
         "last connection that opened, so that the TLS handshakes are resumed ones.\n"
         "--server-pid reports that process's CPU time over the measured window.\n";
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": missing value");
      return argv[++i];
    };
    if (arg == "--host") {
      o.host = value();
    } else if (arg == "--port") {
      o.port = parse_number<std::uint16_t>(arg, value());
    } else if (arg == "--path") {
      o.path = value();
      if (o.path.empty() || o.path[0] != '/')
        throw std::invalid_argument("--path: must start with /");
    } else if (arg == "--connections") {
      o.connections = parse_number<std::size_t>(arg, value());
    } else if (arg == "--size") {
      o.size = parse_number<std::size_t>(arg, value());
    } else if (arg == "--inflight") {
      o.inflight = parse_number<std::size_t>(arg, value());
    } else if (arg == "--duration") {
      o.duration = parse_seconds(arg, value());
    } else if (arg == "--messages") {
      o.messages = parse_number<std::uint64_t>(arg, value());
    } else if (arg == "--warmup") {
      o.warmup = parse_seconds(arg, value());
    } else if (arg == "--binary") {
      o.binary = true;
    } else if (arg == "--rate") {
      o.rate = parse_seconds(arg, value());
    } else if (arg == "--idle") {
      o.idle = true;
    } else if (arg == "--deflate") {
      o.deflate = true;
    } else if (arg == "--tls") {
      o.tls = true;
    } else if (arg == "--handshakes") {
      o.handshakes = true;
    } else if (arg == "--resume") {
      o.resume = true;
    } else if (arg == "--connect-batch") {
      o.connect_batch = parse_number<std::size_t>(arg, value());
    } else if (arg == "--server-pid") {
      o.server_pid = parse_number<int>(arg, value());
    } else if (arg == "--quiet") {
      o.quiet = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text(), stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option: " + std::string(arg));
    }
  }
  if (o.connections == 0) throw std::invalid_argument("--connections: must be > 0");
  if (o.connections > (1u << 24)) throw std::invalid_argument("--connections: at most 2^24");
  if (o.inflight == 0) throw std::invalid_argument("--inflight: must be > 0");
  if (o.connect_batch == 0) throw std::invalid_argument("--connect-batch: must be > 0");
  if (o.size > (std::size_t{1} << 30)) throw std::invalid_argument("--size: at most 1 GiB");
  if (o.deflate && !o.idle) throw std::invalid_argument("--deflate: only with --idle");
  if (o.resume && !(o.tls && o.handshakes)) {
    throw std::invalid_argument("--resume: only with --tls --handshakes");
  }
  if (o.handshakes && (o.idle || o.deflate || o.rate > 0 || o.messages > 0)) {
    throw std::invalid_argument("--handshakes: not with --idle, --deflate, --rate or --messages");
  }
  if (o.duration == 0 && o.messages == 0 && !o.idle) o.duration = 10;
  return o;
}

}  // namespace uvws::bench
