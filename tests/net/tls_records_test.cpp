// The record layer a server TlsSession runs itself after a TLS 1.3 handshake (tls_records.h),
// against a plain OpenSSL client on memory BIOs: every TLS 1.3 suite, KeyUpdate both ways,
// resumption, close_notify both ways, tampered records, and TLS 1.2 (which keeps OpenSSL's).
#include <malloc.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <string>

#include "net/tls_test_util.h"

using namespace uvws;
using namespace uvws::net;
using namespace uvws::net::test;

namespace {

// An OpenSSL client (verifying against the test CA) and a TlsSession server.
struct RawPair {
  SSL* client = nullptr;
  BIO* from_server = nullptr;  // the client reads the server's bytes here
  BIO* to_server = nullptr;    // and writes its own here
  std::unique_ptr<TlsSession> server;
  std::string server_got, client_got;
  std::error_code server_error;
  bool server_closed = false;
  core::Buffer reply;
  std::string queued;
  int client_error_reason = 0;  // of the last SSL_read that failed  // written by the client as
                                // soon as its handshake completed

  RawPair(SSL_CTX* client_ctx, std::shared_ptr<const TlsContext> server_ctx,
          SSL_SESSION* resume = nullptr)
      : client(SSL_new(client_ctx)),
        from_server(BIO_new(BIO_s_mem())),
        to_server(BIO_new(BIO_s_mem())),
        server(TlsSession::server(std::move(server_ctx))) {
    SSL_set_bio(client, from_server, to_server);
    SSL_set_connect_state(client);
    SSL_set_tlsext_host_name(client, "localhost");
    if (resume != nullptr) SSL_set_session(client, resume);
  }
  ~RawPair() { SSL_free(client); }
  RawPair(const RawPair&) = delete;
  RawPair& operator=(const RawPair&) = delete;

  // Moves bytes both ways (in pieces of `chunk`) until nothing moves; the client reads all it can.
  void pump(std::size_t chunk = 1 << 20) {
    for (int round = 0; round < 100; ++round) {
      SSL_do_handshake(client);
      if (!queued.empty() && SSL_is_init_finished(client)) {
        client_write(queued);  // right behind the client's Finished, in the same bytes
        queued.clear();
      }
      char buf[4096];
      int n;
      while ((n = SSL_read(client, buf, sizeof buf)) > 0)
        client_got.append(buf, static_cast<std::size_t>(n));
      if (const unsigned long e = ERR_peek_last_error()) client_error_reason = ERR_GET_REASON(e);
      ERR_clear_error();
      char* p = nullptr;
      const long pending = BIO_get_mem_data(to_server, &p);
      std::string bytes(p, static_cast<std::size_t>(pending));
      static_cast<void>(BIO_reset(to_server));
      for (std::size_t at = 0; at < bytes.size() && !server_error; at += chunk) {
        const std::size_t k = std::min(chunk, bytes.size() - at);
        std::vector<std::uint8_t> in(TlsSession::max_record_plaintext + k);
        std::copy_n(bytes.data() + at, k, in.data() + TlsSession::max_record_plaintext);
        const auto r = server->read({in.data() + TlsSession::max_record_plaintext, k}, in, reply);
        server_got.append(reinterpret_cast<const char*>(in.data()), r.plaintext);
        server_closed |= r.closed;
        if (r.error) server_error = r.error;
      }
      const bool moved = !bytes.empty() || !reply.empty();
      BIO_write(from_server, reply.data(), static_cast<int>(reply.size()));
      reply.clear();
      if (!moved) return;
    }
  }
  void client_write(const std::string& s) {
    REQUIRE(SSL_write(client, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size()));
  }
  void server_write(const std::string& s) {
    REQUIRE_FALSE(
        server->write({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, reply));
  }
};

struct ClientCtx {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  explicit ClientCtx(int max_version = 0) {
    SSL_CTX_load_verify_locations(ctx, cert("ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx, max_version);
  }
  ~ClientCtx() { SSL_CTX_free(ctx); }
  ClientCtx(const ClientCtx&) = delete;
  ClientCtx& operator=(const ClientCtx&) = delete;
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 % 253);
  return s;
}

}  // namespace

TEST_CASE("every TLS 1.3 suite serves data both ways after the hand-over", "[net][tls]") {
  for (const char* suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    INFO(suite);
    TlsServerConfig config = server_config();
    config.protocol.ciphersuites = suite;
    const auto server_ctx = TlsContext::server(config);
    ClientCtx c;
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{7}, std::size_t{16406}}) {
      RawPair p(c.ctx, server_ctx);
      p.queued = "hello";
      p.pump(chunk);
      REQUIRE_FALSE(p.server_error);
      REQUIRE(p.server->established());
      CHECK(std::string(SSL_get_cipher_name(p.client)) == suite);
      CHECK(p.server_got == "hello");
      const std::string big = pattern(100000);
      p.client_write(big);
      p.server_write(big);
      p.pump(chunk);
      REQUIRE_FALSE(p.server_error);
      CHECK(p.server_got == "hello" + big);
      CHECK(p.client_got == big);
    }
  }
}

TEST_CASE("KeyUpdate both ways after the hand-over", "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.pump();
  REQUIRE(p.server->established());
  for (int i = 0; i < 5; ++i) {
    // Requested: the server answers with its own and changes both keys.
    REQUIRE(SSL_key_update(p.client, i % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED
                                                : SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    p.client_write("up" + std::to_string(i));
    p.pump();
    REQUIRE_FALSE(p.server_error);
    p.server_write("down" + std::to_string(i));
    p.pump();
  }
  CHECK(p.server_got == "up0up1up2up3up4");
  CHECK(p.client_got == "down0down1down2down3down4");
}

TEST_CASE("a ticket from a session that handed over resumes", "[net][tls]") {
  ClientCtx c;
  const auto server_ctx = TlsContext::server(server_config());
  SSL_SESSION* ticket = nullptr;
  {
    RawPair first(c.ctx, server_ctx);
    first.queued = "one";
    first.pump();
    REQUIRE(first.server_got == "one");
    first.server_write("ok");
    first.pump();  // the client reads the ticket, then "ok"
    REQUIRE(first.client_got == "ok");
    ticket = SSL_get1_session(first.client);
    // A session of an SSL freed without shutting down is not resumable (ssl_clear_bad_session).
    SSL_set_shutdown(first.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    REQUIRE(ticket != nullptr);
    CHECK(SSL_SESSION_is_resumable(ticket) == 1);
  }
  RawPair second(c.ctx, server_ctx, ticket);
  second.queued = "two";
  second.pump();
  CHECK(SSL_session_reused(second.client) == 1);
  CHECK(second.server_got == "two");
  second.server_write("ok");
  second.pump();
  CHECK(second.client_got == "ok");
  SSL_SESSION_free(ticket);
}

TEST_CASE("close_notify both ways after the hand-over", "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.pump();
  p.server_write("bye");
  p.server->close_notify(p.reply);
  p.pump();
  CHECK(p.client_got == "bye");
  CHECK(SSL_get_shutdown(p.client) & SSL_RECEIVED_SHUTDOWN);
  p.client_write("late");  // half-closed: the client may still send
  SSL_shutdown(p.client);
  p.pump();
  CHECK(p.server_got == "late");
  CHECK(p.server_closed);
  CHECK_FALSE(p.server_error);
}

TEST_CASE("nothing follows the server's close_notify, not even a requested KeyUpdate",
          "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.pump();
  p.server->close_notify(p.reply);
  const std::size_t alert = p.reply.size();
  REQUIRE(alert > 0);
  REQUIRE(SSL_key_update(p.client, SSL_KEY_UPDATE_REQUESTED) == 1);
  p.client_write("after");
  char* data = nullptr;
  const long n = BIO_get_mem_data(p.to_server, &data);
  std::vector<std::uint8_t> in(TlsSession::max_record_plaintext + static_cast<std::size_t>(n));
  std::copy_n(data, n, in.data() + TlsSession::max_record_plaintext);
  const auto r = p.server->read(
      {in.data() + TlsSession::max_record_plaintext, static_cast<std::size_t>(n)}, in, p.reply);
  CHECK_FALSE(r.error);
  CHECK(std::string(reinterpret_cast<const char*>(in.data()), r.plaintext) == "after");
  CHECK(p.reply.size() == alert);  // the close_notify alone
}

TEST_CASE("a tampered record fails with bad_record_mac and an alert", "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.pump();
  REQUIRE(p.server->established());
  p.client_write("secret");
  char* data = nullptr;
  const long n = BIO_get_mem_data(p.to_server, &data);
  REQUIRE(n > 10);
  data[n - 3] ^= 1;  // inside the tag
  p.pump();
  REQUIRE(p.server_error);
  CHECK(p.server_error.message() == "decryption failed or bad record mac");
  CHECK(p.server_got.empty());
  CHECK(p.client_error_reason == SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
}

TEST_CASE("a record not of type application_data is refused after the hand-over", "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.pump();
  REQUIRE(p.server->established());
  // A record whose outer type is not application_data is refused, as OpenSSL does.
  const std::uint8_t bogus[] = {21, 3, 3, 0, 2, 2, 40};
  BIO_write(p.to_server, bogus, sizeof bogus);
  p.pump();
  REQUIRE(p.server_error);
  CHECK(p.server_error.message() == "bad record type");  // OpenSSL's reason too
}

TEST_CASE("TLS 1.2 keeps OpenSSL's record layer and works", "[net][tls]") {
  ClientCtx c(TLS1_2_VERSION);
  RawPair p(c.ctx, TlsContext::server(server_config()));
  p.queued = "hello";
  p.pump();
  REQUIRE_FALSE(p.server_error);
  CHECK(std::string(SSL_get_version(p.client)) == "TLSv1.2");
  CHECK(p.server_got == "hello");
  p.server_write("world");
  p.pump();
  CHECK(p.client_got == "world");
}

TEST_CASE("a client's max_fragment_length keeps OpenSSL's record layer and its limit",
          "[net][tls]") {
  ClientCtx c;
  RawPair p(c.ctx, TlsContext::server(server_config()));
  REQUIRE(SSL_set_tlsext_max_fragment_length(p.client, TLSEXT_max_fragment_length_512) == 1);
  p.queued = "hello";
  p.pump();
  REQUIRE_FALSE(p.server_error);
  CHECK(p.server_got == "hello");
  // Records of at most 512 bytes of plaintext: the client refuses larger ones (record_overflow).
  const std::string big = pattern(5000);
  p.server_write(big);
  p.pump();
  CHECK(p.client_error_reason == 0);
  CHECK(p.client_got == big);
}

TEST_CASE("client certificates and SNI still work with the hand-over", "[net][tls]") {
  TlsServerConfig config = server_config();
  config.client_certs = ClientCertMode::required;
  config.client_ca_file = cert("ca.pem");
  config.sni.push_back({"other.test", {cert("other.pem"), cert("other.key")}});
  const auto server_ctx = TlsContext::server(config);
  ClientCtx c;
  REQUIRE(SSL_CTX_use_certificate_chain_file(c.ctx, cert("client.pem").c_str()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(c.ctx, cert("client.key").c_str(), SSL_FILETYPE_PEM) == 1);
  RawPair p(c.ctx, server_ctx);
  SSL_set_tlsext_host_name(p.client, "other.test");
  p.queued = "mtls";
  p.pump();
  REQUIRE_FALSE(p.server_error);
  CHECK(SSL_get_verify_result(p.client) == X509_V_OK);
  CHECK(p.server_got == "mtls");
  p.server_write("ok");
  p.pump();
  CHECK(p.client_got == "ok");
}

namespace {

// The client's first application traffic secret, from the client context's key log.
std::string client_secret_hex;
void client_keylog(const SSL*, const char* line) {
  const std::string l(line);
  if (l.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0) client_secret_hex = l.substr(l.rfind(' ') + 1);
}

// HKDF-Expand-Label with SHA-256 and an empty context (RFC 8446 7.1), for the test's own records.
std::vector<std::uint8_t> expand(const std::vector<std::uint8_t>& secret, const std::string& label,
                                 std::size_t n) {
  std::vector<std::uint8_t> info{static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n),
                                 static_cast<std::uint8_t>(6 + label.size())};
  for (char c : "tls13 " + label) info.push_back(static_cast<std::uint8_t>(c));
  info.push_back(0);
  std::vector<std::uint8_t> out(n);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  REQUIRE(EVP_PKEY_derive_init(pctx) == 1);
  REQUIRE(EVP_PKEY_CTX_set_hkdf_mode(pctx, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) == 1);
  REQUIRE(EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) == 1);
  REQUIRE(EVP_PKEY_CTX_set1_hkdf_key(pctx, secret.data(), static_cast<int>(secret.size())) == 1);
  REQUIRE(EVP_PKEY_CTX_add1_hkdf_info(pctx, info.data(), static_cast<int>(info.size())) == 1);
  std::size_t len = n;
  REQUIRE(EVP_PKEY_derive(pctx, out.data(), &len) == 1);
  EVP_PKEY_CTX_free(pctx);
  return out;
}

// Records as a (misbehaving) client would protect them: TLS_AES_128_GCM_SHA256, the client's
// first application key, sequence numbers from 0.
struct Forger {
  std::vector<std::uint8_t> key, iv;
  std::uint64_t seq = 0;
  explicit Forger(const std::string& hex) {
    std::vector<std::uint8_t> secret;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
      secret.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    key = expand(secret, "key", 16);
    iv = expand(secret, "iv", 12);
  }
  // A record of outer type 23 whose TLSInnerPlaintext is `inner` (content, type, padding).
  std::string seal(const std::string& inner) {
    const std::size_t len = inner.size() + 16;
    std::string rec = {23, 3, 3, static_cast<char>(len >> 8), static_cast<char>(len)};
    std::uint8_t nonce[12];
    std::copy(iv.begin(), iv.end(), nonce);
    for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(seq >> (8 * i));
    ++seq;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, key.data(), nonce) == 1);
    std::string body(len, '\0');
    int a = 0;
    REQUIRE(EVP_EncryptUpdate(ctx, nullptr, &a, reinterpret_cast<const std::uint8_t*>(rec.data()),
                              5) == 1);
    REQUIRE(EVP_EncryptUpdate(ctx, reinterpret_cast<std::uint8_t*>(body.data()), &a,
                              reinterpret_cast<const std::uint8_t*>(inner.data()),
                              static_cast<int>(inner.size())) == 1);
    REQUIRE(EVP_EncryptFinal_ex(ctx, reinterpret_cast<std::uint8_t*>(body.data()) + a, &a) == 1);
    REQUIRE(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, body.data() + inner.size()) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return rec + body;
  }
};

// A handed-over server fed `records` (made by `make` with the client's key) in pieces of `chunk`:
// the server's error and the alert the client read.
struct Forged {
  std::string server_got;
  std::error_code error;
  int client_alert = 0;
};
template <typename Make>
Forged forged(Make make, std::size_t chunk = 1 << 20) {
  TlsServerConfig config = server_config();
  config.protocol.ciphersuites = "TLS_AES_128_GCM_SHA256";
  ClientCtx c;
  SSL_CTX_set_keylog_callback(c.ctx, &client_keylog);
  RawPair p(c.ctx, TlsContext::server(config));
  p.pump();
  REQUIRE(p.server->established());
  REQUIRE_FALSE(p.server_error);
  Forger f(client_secret_hex);
  const std::string bytes = make(f);
  BIO_write(p.to_server, bytes.data(), static_cast<int>(bytes.size()));
  p.pump(chunk);
  return {p.server_got, p.server_error, p.client_error_reason};
}

std::string inner(const std::string& content, char type, std::size_t padding = 0) {
  return content + type + std::string(padding, '\0');
}

}  // namespace

TEST_CASE("records a client protects itself: the checks of RFC 8446 5 and 4.6.3", "[net][tls]") {
  SECTION("application data, empty and padded records, cut at every byte") {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
      const Forged r = forged(
          [](Forger& f) {
            std::string s = f.seal(inner("ab", 23));  // one by one: sequence numbers in order
            s += f.seal(inner("", 23));
            s += f.seal(inner("cd", 23, 100));
            return s + f.seal(inner(std::string(16384, 'x'), 23));
          },
          chunk);
      CHECK_FALSE(r.error);
      CHECK(r.server_got == "abcd" + std::string(16384, 'x'));
    }
  }
  SECTION("a KeyUpdate changes the key for the next record") {
    const Forged r = forged([](Forger& f) {
      std::string s = f.seal(inner("a", 23));
      s += f.seal(inner(std::string{24, 0, 0, 1, 0}, 22));
      const std::vector<std::uint8_t> secret = [] {
        std::vector<std::uint8_t> v;
        for (std::size_t i = 0; i + 1 < client_secret_hex.size(); i += 2)
          v.push_back(
              static_cast<std::uint8_t>(std::stoi(client_secret_hex.substr(i, 2), nullptr, 16)));
        return v;
      }();
      const std::vector<std::uint8_t> next = expand(secret, "traffic upd", secret.size());
      f.key = expand(next, "key", 16);
      f.iv = expand(next, "iv", 12);
      f.seq = 0;
      return s + f.seal(inner("b", 23));
    });
    CHECK_FALSE(r.error);
    CHECK(r.server_got == "ab");
  }
  SECTION("an inner plaintext of zeros only has no content type: unexpected_message") {
    const Forged r = forged([](Forger& f) { return f.seal(std::string(10, '\0')); });
    CHECK(r.error.message() == "bad record type");
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
  }
  SECTION("an inner content type not of TLS 1.3: unexpected_message") {
    const Forged r = forged([](Forger& f) { return f.seal(inner("x", 20)); });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
  }
  SECTION("a change_cipher_spec record after the handshake: unexpected_message") {
    const Forged r = forged([](Forger&) { return std::string{20, 3, 3, 0, 1, 1}; });
    CHECK(r.error.message() == "bad record type");
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
  }
  SECTION("an alert of three bytes: decode_error") {
    const Forged r = forged([](Forger& f) { return f.seal(inner(std::string{1, 0, 0}, 21)); });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_TLSV1_ALERT_DECODE_ERROR);
  }
  SECTION("a fatal alert from the client ends the connection without an answer") {
    const Forged r = forged([](Forger& f) { return f.seal(inner(std::string{2, 40}, 21)); });
    CHECK(r.error.value() ==
          static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)));
    CHECK(r.client_alert == 0);
  }
  SECTION("a KeyUpdate of request_update 2: illegal_parameter") {
    const Forged r = forged([](Forger& f) {
      return f.seal(inner(std::string{24, 0, 0, 1, 2}, 22));
    });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER);
  }
  SECTION("a KeyUpdate not at the end of its record: unexpected_message") {
    const Forged r = forged([](Forger& f) {
      return f.seal(inner(std::string{24, 0, 0, 1, 0, 24, 0, 0, 1, 0}, 22));
    });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
  }
  SECTION("a NewSessionTicket from the client: unexpected_message") {
    const Forged r = forged([](Forger& f) {
      return f.seal(inner(std::string{4, 0, 0, 4, 0, 0, 0, 0}, 22));
    });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
  }
  SECTION("a record over 2^14 + 256 bytes: record_overflow before any decryption") {
    const Forged r = forged([](Forger&) {
      std::string s = {23, 3, 3, 0x41, 0x01};
      return s + std::string(0x4101, 'z');
    });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_TLSV1_ALERT_RECORD_OVERFLOW);
  }
  SECTION("a content over 2^14 bytes: record_overflow") {
    const Forged r = forged([](Forger& f) { return f.seal(inner(std::string(16385, 'y'), 23)); });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_TLSV1_ALERT_RECORD_OVERFLOW);
  }
  SECTION("a wrong legacy_record_version: decode_error") {
    const Forged r = forged([](Forger& f) {
      std::string s = f.seal(inner("a", 23));
      s[2] = 1;
      return s;
    });
    CHECK(r.error);
    CHECK(r.client_alert == SSL_R_TLSV1_ALERT_DECODE_ERROR);
  }
  SECTION("a record out of order (a skipped sequence number): bad_record_mac") {
    const Forged r = forged([](Forger& f) {
      f.seal(inner("lost", 23));
      return f.seal(inner("a", 23));
    });
    CHECK(r.error.message() == "decryption failed or bad record mac");
    CHECK(r.client_alert == SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
  }
}
