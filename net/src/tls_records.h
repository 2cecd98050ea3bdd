// Private: the TLS 1.3 record layer a server TlsSession runs on its own once the handshake is
// done, so that it can free OpenSSL's SSL object (the idea of kernel TLS, in user space).
//
// Why: an idle server session after a TLS 1.3 handshake held about 13.9 KB of OpenSSL heap
// (OpenSSL 3.0.19), of which the SSL object alone is 7.6 KB (its record layer keeps 32 pipeline
// slots of record and buffer descriptors), 2.3 KB the two AES-GCM cipher contexts, 0.9 KB the
// SSL_SESSION and the rest the handshake's leftovers (ECDHE keys, handshake hash, CERT copy,
// the client's cipher list). None of it can be freed through OpenSSL's API while the SSL lives.
// After the handshake, a TLS 1.3 connection needs only its two traffic secrets, the keys and
// IVs made from them and two sequence numbers (RFC 8446 5.2, 5.3, 7.2, 7.3): about 300 bytes.
// The AEAD itself stays OpenSSL's (EVP, one context per thread and direction, keyed per call).
//
// What it serves: application data, close_notify and the other alerts, and KeyUpdate both ways
// (RFC 8446 4.6.3). A TLS 1.3 server receives no other post-handshake message (uvws asks for
// no post-handshake authentication), so any other is unexpected_message, as in OpenSSL.
// Checks as OpenSSL's: legacy record version 0x0303, the outer type application_data, the
// length bounds (record_overflow), the tag (bad_record_mac), at most 32 KeyUpdates in a row.
//
// How the secrets come: from OpenSSL's key log callback (set on every server context), which
// OpenSSL calls at the moment it changes to each traffic key; records are counted through the
// BIO from then on, so the sequence numbers at the hand-over are known, not assumed. The
// session hands over only when everything fits (TLS 1.3, an AEAD suite of RFC 8446 B.4 without
// CCM, both secrets, OpenSSL holding no unread byte, no half record counted); otherwise it keeps
// its SSL object as before.
//
// Ownership: the TlsSession owns its RecordLayer (created by the first secret logged, server
// sessions only); the secrets and keys are cleansed when it goes.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

#include "uvws/core/buffer.h"

namespace uvws::net::detail {

// Counts the TLS records of a byte stream (5-byte headers with their lengths), cut anywhere.
struct RecordCounter {
  std::uint64_t records = 0;  // complete records since the last restart()
  std::uint8_t header[5] = {};
  std::uint8_t header_have = 0;
  bool valid = true;  // false once restart() came inside a record
  std::size_t body_left = 0;

  void feed(const std::uint8_t* p, std::size_t n) noexcept;
  bool at_boundary() const noexcept { return header_have == 0 && body_left == 0; }
  // From here on count again (a new key): only valid at a record boundary.
  void restart() noexcept {
    records = 0;
    valid = at_boundary();
  }
};

class RecordLayer {
 public:
  struct Keys {
    std::uint8_t secret[64] = {};  // the traffic secret: KeyUpdate derives the next one from it
    std::uint8_t key[32] = {};
    std::uint8_t iv[12] = {};
    std::uint64_t seq = 0;
    std::uint64_t generation = 0;  // names this key for the per-thread cipher contexts
    std::uint8_t secret_len = 0;   // 0: not logged yet
  };
  // What one call of open() produced (TlsSession::ReadResult's fields).
  struct Opened {
    std::size_t plaintext = 0;
    std::error_code error;
    bool closed = false;
  };

  RecordLayer() = default;
  ~RecordLayer();
  RecordLayer(const RecordLayer&) = delete;
  RecordLayer& operator=(const RecordLayer&) = delete;

  // Before the hand-over, from the key log callback: a traffic secret of this connection.
  void logged(const char* line) noexcept;
  // Before the hand-over, from the BIO: bytes OpenSSL wrote and read.
  void wrote(const std::uint8_t* p, std::size_t n) noexcept { written_.feed(p, n); }
  void consumed(const std::uint8_t* p, std::size_t n) noexcept { consumed_.feed(p, n); }

  // Takes over from `ssl`, whose handshake just completed, if it fits (see the file comment).
  // True: the caller frees the SSL and uses open()/seal()/close_notify() from now on.
  bool take_over(const SSL* ssl) noexcept;

  // Decrypts the records of `in` (keeping a partial one) into `plaintext` (TlsSession::read's
  // contract: it may be the same memory as `in` started max_record_plaintext bytes earlier);
  // alerts and KeyUpdates for the peer go to `out`.
  Opened open(const std::uint8_t* in, std::size_t n, std::uint8_t* plaintext, core::Buffer& out);
  // Encrypts `plaintext` into application data records appended to `out`.
  std::error_code seal(const std::uint8_t* plaintext, std::size_t n, core::Buffer& out);
  void close_notify(core::Buffer& out);

 private:
  bool derive(Keys& k) noexcept;
  bool next_secret(Keys& k) noexcept;
  std::error_code seal_record(std::uint8_t type, const std::uint8_t* data, std::size_t n,
                              core::Buffer& out);
  // Decrypts one record's body in place; its content type and length, or an error (alert sent).
  std::error_code open_record(const std::uint8_t* header, std::uint8_t* body, std::size_t len,
                              std::uint8_t& type, std::size_t& content, core::Buffer& out);
  std::error_code fail(int alert, int reason, core::Buffer& out);
  std::error_code handshake_message(const std::uint8_t* p, std::size_t n, core::Buffer& out);

  const EVP_CIPHER* cipher_ = nullptr;
  const EVP_MD* md_ = nullptr;
  std::size_t key_len_ = 0;
  Keys read_, write_;
  RecordCounter written_, consumed_;
  std::vector<std::uint8_t> partial_;  // a record of which only a part came; empty when idle
  unsigned key_updates_ = 0;           // received since the last application data
  bool peer_closed_ = false;           // close_notify received: what follows is ignored
  bool closed_ = false;                // close_notify sent: nothing more is sent
  bool failed_ = false;                // a fatal alert sent or received
};

// The key log callback of server contexts (tls_context.cpp): hands the line to the session.
void log_traffic_secret(const SSL* ssl, const char* line);

}  // namespace uvws::net::detail
