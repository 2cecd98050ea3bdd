// Helpers for the TLS tests: test certificates made once per test binary (make_certs.sh in a
// temporary directory), and two TlsSessions talking to each other through memory.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/net/tls.h"
#include "uvws/net/tls_session.h"

namespace uvws::net::test {

// The directory holding the certificates of tests/tls/make_certs.sh (made on first use; left in
// /tmp for inspection, one directory per test binary run).
inline const std::string& cert_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/uvws-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::filesystem::path script =
        std::filesystem::path(__FILE__).parent_path().parent_path() / "tls" / "make_certs.sh";
    const std::string cmd = "sh '" + script.string() + "' '" + tmpl + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    return std::string(tmpl);
  }();
  return dir;
}

inline std::string cert(const std::string& name) {
  return cert_dir() + "/" + name;
}

inline TlsServerConfig server_config(const std::string& name = "server") {
  TlsServerConfig c;
  c.certificate = {cert(name + ".pem"), cert(name + ".key")};
  return c;
}

inline TlsClientConfig client_config() {
  TlsClientConfig c;
  c.ca_file = cert("ca.pem");
  return c;
}

// A client and a server session with the bytes in flight between them.
struct SessionPair {
  std::unique_ptr<TlsSession> client;
  std::unique_ptr<TlsSession> server;
  core::Buffer to_server;  // ciphertext the client wrote
  core::Buffer to_client;  // ciphertext the server wrote
  std::string client_got, server_got;
  std::error_code client_error, server_error;
  bool client_closed = false, server_closed = false;

  SessionPair(std::shared_ptr<const TlsContext> server_ctx,
              std::shared_ptr<const TlsContext> client_ctx, const std::string& name)
      : client(TlsSession::client(std::move(client_ctx), name)),
        server(TlsSession::server(std::move(server_ctx))) {
    client_error = client->start(to_server);
  }

  // Delivers what is in flight, in pieces of `chunk` bytes, until nothing moves. A side that
  // failed gets nothing more, but what it sent (its alert) still reaches the other side.
  void pump(std::size_t chunk = 1 << 20) {
    while (!to_server.empty() || !to_client.empty()) {
      deliver(to_server, *server, to_client, server_got, server_error, server_closed, chunk);
      deliver(to_client, *client, to_server, client_got, client_error, client_closed, chunk);
    }
  }

  // Handshake, then true if both sides are established without error.
  bool handshake() {
    pump();
    return !client_error && !server_error && client->established() && server->established();
  }

 private:
  // Feeds `in` to `s` in chunks, decrypting in place in a buffer laid out as a connection's
  // (max_record_plaintext of room in front of the ciphertext).
  static void deliver(core::Buffer& in, TlsSession& s, core::Buffer& reply, std::string& got,
                      std::error_code& error, bool& closed, std::size_t chunk) {
    if (error) in.clear();  // a side that failed reads nothing more
    while (!in.empty()) {
      const std::size_t n = std::min(chunk, in.size());
      std::vector<std::uint8_t> buf(TlsSession::max_record_plaintext + n);
      std::copy_n(in.data(), n, buf.data() + TlsSession::max_record_plaintext);
      in.consume(n);
      const auto r = s.read({buf.data() + TlsSession::max_record_plaintext, n}, buf, reply);
      got.append(reinterpret_cast<const char*>(buf.data()), r.plaintext);
      if (r.closed) closed = true;
      if (r.error) {
        error = r.error;
        in.clear();
        return;
      }
    }
  }
};

}  // namespace uvws::net::test
