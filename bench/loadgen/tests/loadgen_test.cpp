// Tests of uvws-loadgen's parts: the latency histogram, the message pattern, and a Connection's
// handshake check and echo parser against a real loopback socket, the --deflate greeting, and
// the TLS handshake and upgrade request of --tls against an OpenSSL server on the other end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connection.h"
#include "deflate.h"
#include "histogram.h"
#include "payload.h"
#include "uvws/core/crypto.h"
#include "uvws/ws/mask.h"

namespace {

using uvws::bench::Connection;
using uvws::bench::Histogram;
using uvws::bench::PayloadPattern;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The payload of message `seq` of connection `index`, unmasked, read back from a frame built
// with a zero key (masking with 0 changes nothing).
std::vector<std::uint8_t> payload_of(const PayloadPattern& p, std::uint32_t index,
                                     std::uint64_t seq) {
  uvws::core::Buffer frame;
  p.append_frame(frame, PayloadPattern::make_tag(index, seq), 0);
  const std::size_t header = uvws::ws::header_size(frame.data()[1]);
  return {frame.data() + header, frame.data() + frame.size()};
}

// A server frame (unmasked) with `payload`.
std::string server_frame(uvws::ws::Opcode opcode, std::span<const std::uint8_t> payload,
                         bool fin = true) {
  uvws::ws::Frame f;
  f.opcode = opcode;
  f.fin = fin;
  f.length = payload.size();
  f.payload = payload;
  uvws::core::Buffer out;
  uvws::ws::serialize(f, out);
  return std::string(out.view());
}

struct RecordingSink final : uvws::bench::EchoSink {
  std::vector<std::uint64_t> starts;
  void on_echo(Connection&, std::uint64_t start_ns, std::uint64_t) override {
    starts.push_back(start_ns);
  }
};

// A loopback listener, and a Connection connected to it whose handshake request was read
// (with `upgrade` false: only accepted, for a TLS handshake first).
struct Peer {
  int listener = -1;
  int server = -1;
  std::string request;

  explicit Peer(Connection& c, bool upgrade = true) {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(c.connect(reinterpret_cast<sockaddr*>(&addr), len));
    server = ::accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
    if (!upgrade) return;
    REQUIRE(c.connected("127.0.0.1:1", "/echo"));
    while (request.find("\r\n\r\n") == std::string::npos) {
      char buf[1024];
      const ssize_t n = ::read(server, buf, sizeof buf);
      REQUIRE(n > 0);
      request.append(buf, static_cast<std::size_t>(n));
    }
  }
  ~Peer() {
    ::close(server);
    ::close(listener);
  }

  // The Sec-WebSocket-Accept for the request's key (RFC 6455 4.2.2).
  std::string accept() const {
    const std::string name = "Sec-WebSocket-Key: ";
    const std::size_t at = request.find(name) + name.size();
    const std::string key = request.substr(at, request.find("\r\n", at) - at);
    return uvws::core::base64_encode(
        uvws::core::sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
  }
};

std::string response(const std::string& accept) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept + "\r\n\r\n";
}

}  // namespace

TEST_CASE("histogram quantiles are within 1/64 of the exact values", "[bench][histogram]") {
  Histogram h;
  CHECK(h.quantile(0.5) == 0);
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 10);
  CHECK(h.count() == 100000);
  CHECK(h.max() == 1000000);
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 1000000;
    CHECK(static_cast<double>(h.quantile(q)) == Approx(exact).epsilon(1.0 / 64));
  }
  CHECK(h.quantile(1.0) == 1000000);
  h.clear();
  h.record(7);
  CHECK(h.quantile(0.5) == 7);
}

TEST_CASE("a message frame unmasks to the tag then the pattern", "[bench][payload]") {
  const auto size = GENERATE(std::size_t{0}, std::size_t{5}, std::size_t{16}, std::size_t{20},
                             std::size_t{70000});
  const bool binary = GENERATE(false, true);
  const PayloadPattern p(size, binary);
  const auto tag = PayloadPattern::make_tag(0xABCDEF, 42);
  CHECK(std::string(tag.begin(), tag.end()) == "abcdef000000002a");

  uvws::core::Buffer frame;
  const std::uint32_t key = 0x12345678;
  p.append_frame(frame, tag, key);
  uvws::ws::Frame f;
  const std::size_t header = uvws::ws::header_size(frame.data()[1]);
  REQUIRE(uvws::ws::parse_header(frame.span(), f, true) == uvws::ws::HeaderStatus::ok);
  CHECK(f.masked);
  CHECK(f.length == size);
  CHECK(f.opcode == (binary ? uvws::ws::Opcode::binary : uvws::ws::Opcode::text));
  REQUIRE(frame.size() == header + size);
  std::vector<std::uint8_t> payload(frame.data() + header, frame.data() + frame.size());
  uvws::ws::mask_in_place(payload, f.mask_key, 0);
  CHECK(p.matches(tag, 0, payload));
  if (!binary) {
    for (const auto b : payload) CHECK((b >= 0x21 && b < 0x7F));
  }
  if (size > 0) {
    // Any one changed byte, in the tag or in the pattern, fails the check.
    auto wrong = payload;
    wrong[size / 2] ^= 1;
    CHECK_FALSE(p.matches(tag, 0, wrong));
    // A message of 16 bytes or more carries the whole tag, so another sequence number fails.
    if (size >= 16) CHECK_FALSE(p.matches(PayloadPattern::make_tag(0xABCDEF, 43), 0, payload));
    // Piece by piece at an offset.
    CHECK(p.matches(tag, size / 3, std::span(payload).subspan(size / 3)));
  }
}

TEST_CASE("a connection checks the handshake answer", "[bench][connection]") {
  const PayloadPattern p(20, false);
  Connection c(0, p);
  Peer peer(c);
  RecordingSink sink;
  CHECK(peer.request.find("GET /echo HTTP/1.1\r\n") == 0);
  CHECK(peer.request.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  SECTION("a right accept value opens it, even one byte at a time") {
    const std::string r = response(peer.accept());
    for (const char ch : r) {
      REQUIRE(c.state() == Connection::State::handshaking);
      REQUIRE(c.receive(bytes_of(std::string(1, ch)), 0, sink));
    }
    CHECK(c.state() == Connection::State::open);
  }
  SECTION("a wrong accept value fails it") {
    CHECK_FALSE(c.receive(bytes_of(response("dGhlIHNhbXBsZSBub25jZQ==")), 0, sink));
    CHECK(c.error() == "handshake: wrong Sec-WebSocket-Accept");
  }
  SECTION("a refusal fails it") {
    CHECK_FALSE(c.receive(bytes_of(std::string("HTTP/1.1 403 Forbidden\r\n\r\n")), 0, sink));
    CHECK(c.error().find("403") != std::string::npos);
  }
}

TEST_CASE("a connection matches echoes with the messages sent", "[bench][connection]") {
  const PayloadPattern p(300, false);
  Connection c(3, p);
  Peer peer(c);
  RecordingSink sink;
  REQUIRE(c.receive(bytes_of(response(peer.accept())), 0, sink));
  c.send_message(100);
  c.send_message(200);
  REQUIRE(c.in_flight() == 2);
  const auto first = payload_of(p, 3, 0);
  const auto second = payload_of(p, 3, 1);

  SECTION("two echoes, split at any point, complete in order") {
    const std::string wire =
        server_frame(uvws::ws::Opcode::text, first) + server_frame(uvws::ws::Opcode::text, second);
    const std::size_t chunk = GENERATE(1u, 2u, 3u, 7u, 1000u);
    for (std::size_t at = 0; at < wire.size(); at += chunk) {
      REQUIRE(c.receive(bytes_of(wire.substr(at, chunk)), 0, sink));
    }
    CHECK(sink.starts == std::vector<std::uint64_t>{100, 200});
    CHECK(c.in_flight() == 0);
    CHECK(c.echoed() == 2);
  }
  SECTION("a fragmented echo with a ping between its fragments completes") {
    const auto half = std::span(first).first(150);
    const auto rest = std::span(first).subspan(150);
    const std::string wire = server_frame(uvws::ws::Opcode::text, half, false) +
                             server_frame(uvws::ws::Opcode::ping, {}) +
                             server_frame(uvws::ws::Opcode::continuation, rest);
    REQUIRE(c.receive(bytes_of(wire), 0, sink));
    CHECK(sink.starts == std::vector<std::uint64_t>{100});
    CHECK(c.wants_write());  // the pong
  }
  SECTION("echoes out of order fail") {
    CHECK_FALSE(c.receive(bytes_of(server_frame(uvws::ws::Opcode::text, second)), 0, sink));
    CHECK(c.error().find("echo differs") == 0);
  }
  SECTION("an echo with the wrong opcode fails") {
    CHECK_FALSE(c.receive(bytes_of(server_frame(uvws::ws::Opcode::binary, first)), 0, sink));
  }
  SECTION("a short echo fails") {
    CHECK_FALSE(c.receive(
        bytes_of(server_frame(uvws::ws::Opcode::text, std::span(first).first(299))), 0, sink));
  }
  SECTION("a masked server frame fails") {
    uvws::ws::Frame f;
    f.masked = true;
    f.length = first.size();
    f.payload = first;
    uvws::core::Buffer out;
    uvws::ws::serialize(f, out);
    CHECK_FALSE(c.receive(out.span(), 0, sink));
    CHECK(c.error() == "frame: masked by the server");
  }
  SECTION("a close from the server while open fails, with its code") {
    const std::uint8_t code[] = {0x03, 0xE9};
    CHECK_FALSE(c.receive(bytes_of(server_frame(uvws::ws::Opcode::close, code)), 0, sink));
    CHECK(c.error() == "server closed the connection (code 1001)");
  }
  SECTION("after our close frame, the server's ends the connection") {
    const std::uint8_t code[] = {0x03, 0xE8};
    c.send_close();
    REQUIRE(c.receive(bytes_of(server_frame(uvws::ws::Opcode::close, code)), 0, sink));
    CHECK(c.state() == Connection::State::closed);
  }
}

namespace {

// A server frame with RSV1 set (a compressed message, RFC 7692 6).
std::string compressed_server_frame(std::span<const std::uint8_t> payload) {
  std::string frame = server_frame(uvws::ws::Opcode::text, payload);
  frame[0] = static_cast<char>(frame[0] | 0x40);
  return frame;
}

// Reads one masked client frame from `fd` and returns its unmasked payload; `first_byte` gets
// its FIN, RSV and opcode bits.
std::vector<std::uint8_t> read_client_frame(int fd, std::uint8_t& first_byte) {
  std::vector<std::uint8_t> wire;
  std::size_t header = 0;
  uvws::ws::Frame f;
  for (;;) {
    if (wire.size() >= 2) header = uvws::ws::header_size(wire[1]);
    if (header != 0 && wire.size() >= header) {
      REQUIRE(uvws::ws::parse_header(std::span(wire).first(header), f, false) ==
              uvws::ws::HeaderStatus::ok);
      if (wire.size() >= header + f.length) break;
    }
    std::uint8_t buf[1024];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    REQUIRE(n > 0);
    wire.insert(wire.end(), buf, buf + n);
  }
  REQUIRE(f.masked);
  first_byte = wire[0];
  std::vector<std::uint8_t> payload(wire.begin() + static_cast<long>(header),
                                    wire.begin() + static_cast<long>(header + f.length));
  uvws::ws::mask_in_place(payload, f.mask_key, 0);
  return payload;
}

}  // namespace

TEST_CASE("with --deflate a connection opens once its compressed line is echoed",
          "[bench][connection][deflate]") {
  const PayloadPattern p(20, false);
  Connection c(7, p, true);
  Peer peer(c);
  RecordingSink sink;
  CHECK(peer.request.find("\r\nSec-WebSocket-Extensions: permessage-deflate; "
                          "client_max_window_bits\r\n") != std::string::npos);
  const std::string accepted =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Extensions: "
      "permessage-deflate\r\nSec-WebSocket-Accept: " +
      peer.accept() + "\r\n\r\n";
  SECTION("accepted: one compressed text frame goes out, and its echo opens the connection") {
    REQUIRE(c.receive(bytes_of(accepted), 0, sink));
    CHECK(c.state() == Connection::State::handshaking);
    REQUIRE(c.flush());
    std::uint8_t first = 0;
    const auto payload = read_client_frame(peer.server, first);
    CHECK(first == 0xC1);  // FIN, RSV1, text
    std::string text;
    REQUIRE(uvws::bench::inflate_message(payload, text, 4096));
    CHECK(text.find("\"user\":\"user-00007\"") != std::string::npos);
    CHECK(text.size() > 150);
    CHECK(text.size() < 250);
    const std::string compressed = compressed_server_frame(payload);
    const std::string plain = server_frame(uvws::ws::Opcode::text, bytes_of(text));
    const std::string echo = GENERATE_COPY(compressed, plain);
    for (const char ch : echo) {  // one byte at a time: any split
      REQUIRE(c.state() == Connection::State::handshaking);
      REQUIRE(c.receive(bytes_of(std::string(1, ch)), 0, sink));
    }
    CHECK(c.state() == Connection::State::open);
    CHECK(sink.starts.empty());  // the line is not one of the measured echoes
  }
  SECTION("an echo that differs from the line fails") {
    REQUIRE(c.receive(bytes_of(accepted), 0, sink));
    const std::string wrong = "not the line";
    CHECK_FALSE(
        c.receive(bytes_of(server_frame(uvws::ws::Opcode::text, bytes_of(wrong))), 0, sink));
    CHECK(c.error() == "echo differs from the compressed message sent");
  }
  SECTION("RSV1 on a control frame fails") {
    REQUIRE(c.receive(bytes_of(accepted), 0, sink));
    std::string ping = server_frame(uvws::ws::Opcode::ping, {});
    ping[0] = static_cast<char>(ping[0] | 0x40);
    CHECK_FALSE(c.receive(bytes_of(ping), 0, sink));
    CHECK(c.error() == "frame: reserved bit set");
  }
  SECTION("a server that declines permessage-deflate fails it") {
    CHECK_FALSE(c.receive(bytes_of(response(peer.accept())), 0, sink));
    CHECK(c.error() == "handshake: the server declined permessage-deflate");
  }
}

namespace {

// A TLS server context with a fresh self-signed P-256 certificate for "localhost".
SSL_CTX* test_server_context() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

// Reads through `ssl` (non-blocking) until `text` holds `terminator`.
void tls_read_until(SSL* ssl, std::string& text, std::string_view terminator) {
  for (int i = 0; i < 1000 && text.find(terminator) == std::string::npos; ++i) {
    char buf[1024];
    const int n = SSL_read(ssl, buf, sizeof buf);
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
  }
  REQUIRE(text.find(terminator) != std::string::npos);
}

}  // namespace

TEST_CASE("with TLS a connection handshakes, then sends its upgrade through TLS", "[bench][tls]") {
  SSL_CTX* server_ctx = test_server_context();
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(client_ctx, TLS1_3_VERSION);
  SSL_CTX_set_mode(client_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const PayloadPattern p(20, false);
  {
    Connection c(0, p);
    c.use_tls(client_ctx, nullptr);
    Peer peer(c, false);
    ::fcntl(peer.server, F_SETFL, ::fcntl(peer.server, F_GETFL) | O_NONBLOCK);
    SSL* server = SSL_new(server_ctx);
    SSL_set_fd(server, peer.server);
    REQUIRE(c.connected("127.0.0.1:1", "/echo"));
    CHECK(c.state() == Connection::State::tls_handshaking);
    // Both ends in turn, until the client has sent its upgrade request.
    int accepted = 0;
    for (int i = 0; i < 100 && c.state() == Connection::State::tls_handshaking; ++i) {
      if (accepted != 1) accepted = SSL_accept(server);
      REQUIRE(c.tls_handshake("127.0.0.1:1", "/echo"));
    }
    REQUIRE(c.state() == Connection::State::handshaking);
    tls_read_until(server, peer.request, "\r\n\r\n");
    CHECK(peer.request.find("GET /echo HTTP/1.1\r\n") == 0);
    SSL_free(server);
  }
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
}
