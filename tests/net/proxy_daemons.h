// Debian's proxy daemons as the proxy tests run them: each in the foreground on a free port of
// 127.0.0.1, with a generated configuration in its own temporary directory, stopped by its PID
// at destruction (RunningProxy, proxy_process.h). Shared by tests/net/proxy_*_test.cpp (the
// sans-I/O handshakes) and tests/client/proxy_client_test.cpp (the client through them).
// A missing daemon fails the test (find_program), never skips it.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "net/proxy_process.h"

namespace uvws::net::test {

// A tinyproxy (-d) that lets CONNECT reach `connect_port` only (ConnectPort: any other port is
// answered 403), with Basic auth when `auth` ("user:password") is set.
struct Tinyproxy : RunningProxy {
  explicit Tinyproxy(std::uint16_t connect_port, const std::string& auth = {}) {
    const auto program = find_program({"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"});
    const auto conf = [&](std::uint16_t p) {
      std::string text = "Port " + std::to_string(p) +
                         "\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Info\n"
                         "Allow 127.0.0.1\nConnectPort " +
                         std::to_string(connect_port) + "\n";
      if (!auth.empty()) text += "BasicAuth " + auth + "\n";
      return text;
    };
    port = start_on_free_port(process, dir, "tinyproxy.conf", conf, [&](const std::string& file) {
      return std::vector<std::string>{program, "-d", "-c", file};
    });
    INFO(process.log());
    REQUIRE(port != 0);
  }
  // Its URL for ClientOptions::proxy.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// A danted (no -D) without authentication that refuses, by a block rule, connections to
// `blocked_port` ("connection not allowed by ruleset", RFC 1928 6 code 0x02) and passes the
// rest.
struct Dante : RunningProxy {
  explicit Dante(std::uint16_t blocked_port) {
    const auto program = find_program({"/usr/sbin/danted", "/usr/bin/danted"});
    const auto conf = [&](std::uint16_t p) {
      return "logoutput: stderr\ninternal: 127.0.0.1 port = " + std::to_string(p) +
             "\nexternal: 127.0.0.1\nclientmethod: none\nsocksmethod: none\n"
             "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
             "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 port = " +
             std::to_string(blocked_port) +
             " }\n"
             "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }\n";
    };
    // -p: the PID file in the temporary directory (the default, /var/run, needs root).
    const auto pid_file = (dir.path() / "danted.pid").string();
    port = start_on_free_port(process, dir, "danted.conf", conf, [&](const std::string& file) {
      return std::vector<std::string>{program, "-f", file, "-p", pid_file};
    });
    INFO(process.log());
    REQUIRE(port != 0);
  }
  // Its URL for ClientOptions::proxy: socks5:// or socks5h://.
  std::string url(const char* scheme) const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port);
  }
};

}  // namespace uvws::net::test
