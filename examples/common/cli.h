// The command line shared by the example servers:
//   --host ADDR  --port N  --threads N  --log-level LEVEL  --no-metrics  --help
//   --tls-cert FILE --tls-key FILE  (both or neither: TLS, i.e. wss:// and https://)
//   --tls-sni HOST,CERT,KEY         (repeatable: another certificate for SNI host name HOST)
//   --redis URL --redis-prefix P    (scale-out through Redis, docs/REDIS.md)
//   --compression [--no-context-takeover]  (permessage-deflate; the second flag resets the
//                                   server's compressor after each message, so that published
//                                   messages are compressed once for all subscribers)
// plus whatever the example adds through `extra`. Header-only: examples link nothing else.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/log.h"
#include "uvws/server.h"

namespace examples {

// `extra(arg, value)` handles an example's own flags (return false for unknown ones);
// `value()` takes the flag's argument. Exits with usage on errors or --help.
inline void parse_server_args(
    int argc, char** argv, const char* usage_line, uvws::ServerOptions& options,
    const std::function<bool(std::string_view, const std::function<std::string()>&)>& extra = {}) {
  auto usage = [&](int status) {
    std::fprintf(
        status == 0 ? stdout : stderr,
        "usage: %s\n  common: [--host ADDR] [--port N] [--threads N] "
        "[--log-level trace|debug|info|warn|error|off] [--no-metrics]\n"
        "          [--tls-cert CHAIN.pem --tls-key KEY.pem [--tls-sni HOST,CHAIN.pem,KEY.pem]]\n"
        "          [--redis redis://[user:password@]host:port | /path/redis.sock] "
        "[--redis-prefix PREFIX]\n"
        "          [--compression [--no-context-takeover]]\n",
        usage_line);
    std::exit(status);
  };
  std::string log_level = "info";
  std::string tls_cert, tls_key;
  std::vector<uvws::net::TlsSniCertificate> sni;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::function<std::string()> value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    try {
      if (arg == "--host") {
        options.host = value();
      } else if (arg == "--port") {
        options.port = static_cast<std::uint16_t>(std::stoul(value()));
      } else if (arg == "--threads") {
        options.threads = static_cast<unsigned>(std::stoul(value()));
      } else if (arg == "--tls-cert") {
        tls_cert = value();
      } else if (arg == "--tls-key") {
        tls_key = value();
      } else if (arg == "--tls-sni") {
        const std::string v = value();
        const auto a = v.find(','), b = v.find(',', a + 1);
        if (a == std::string::npos || b == std::string::npos) usage(2);
        sni.push_back({v.substr(0, a), {v.substr(a + 1, b - a - 1), v.substr(b + 1)}});
      } else if (arg == "--redis") {
        options.redis = value();
      } else if (arg == "--redis-prefix") {
        options.redis_prefix = value();
      } else if (arg == "--compression") {
        options.compression.enabled = true;
      } else if (arg == "--no-context-takeover") {
        options.compression.server_no_context_takeover = true;
      } else if (arg == "--no-metrics") {
        options.metrics = false;
      } else if (arg == "--log-level") {
        log_level = value();
      } else if (arg == "--help" || arg == "-h") {
        usage(0);
      } else if (!extra || !extra(arg, value)) {
        usage(2);
      }
    } catch (const std::logic_error&) {  // std::stoul on a non-number
      usage(2);
    }
  }
  if (!uvws::core::set_log_level(log_level)) usage(2);
  if (options.compression.server_no_context_takeover && !options.compression.enabled) usage(2);
  if (tls_cert.empty() != tls_key.empty() || (tls_cert.empty() && !sni.empty())) usage(2);
  if (!tls_cert.empty()) {
    options.tls.emplace();
    options.tls->certificate = {tls_cert, tls_key};
    options.tls->sni = std::move(sni);
  }
}

// "wss" or "ws", "https" or "http": the schemes the server's URLs have.
inline const char* ws_scheme(const uvws::ServerOptions& options) {
  return options.tls ? "wss" : "ws";
}
inline const char* http_scheme(const uvws::ServerOptions& options) {
  return options.tls ? "https" : "http";
}

}  // namespace examples
