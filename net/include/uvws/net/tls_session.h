// TlsSession: one TLS connection's state (OpenSSL's SSL) without any I/O of its own (sans-I/O).
// The caller feeds it the ciphertext it read and takes the plaintext out; it hands it plaintext
// and takes the ciphertext to write. OpenSSL sees memory only: its BIO reads from the span being
// fed and appends to the core::Buffer being filled, and keeps no buffer of its own.
// Public for tests and for an application that runs TLS over a transport of its own; a
// TCPConnection started with a context uses one by itself.
// Ownership: a TCPConnection owns its session (one pointer); the session keeps its TlsContext
// alive (a reload does not disturb it).
// Threads: the thread of its connection's loop only (OpenSSL allows one thread per SSL).
// Memory: SSL_MODE_RELEASE_BUFFERS frees the record buffers whenever no partial record is
// pending, and the BIO has no buffer. A server session whose TLS 1.3 handshake completed frees
// OpenSSL's SSL object altogether and runs the records itself with the traffic keys
// (net/src/tls_records.h: OpenSSL's SSL object kept 13.9 KB after the handshake on OpenSSL
// 3.0.19, 7.6 KB of it the SSL structure itself); an idle one then holds about 0.5 KiB of heap
// (tls_session_test.cpp "an idle session"; sizeof is 72 bytes). A client session, and a server
// session of TLS 1.2, keep OpenSSL's SSL object (about 14 KiB idle).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/net/tls.h"

struct ssl_st;  // OpenSSL's SSL

namespace uvws::net {
namespace detail {
struct SessionBio;
class RecordLayer;
}  // namespace detail

// One TLS connection without I/O (see the file comment): ciphertext in, plaintext out, and the
// reverse, through memory BIOs.
class UVWS_EXPORT TlsSession {
 public:
  // A plaintext record holds at most 2^14 bytes (RFC 8446 5.1); a partial record carried over
  // from an earlier read decrypts to at most this much more than the current read's ciphertext.
  static constexpr std::size_t max_record_plaintext = 16 * 1024;

  // A server session on a server context; throws std::bad_alloc if OpenSSL cannot make one.
  static std::unique_ptr<TlsSession> server(std::shared_ptr<const TlsContext> context);
  // A client session that will check the certificate for `server_name` (a host name, sent as
  // SNI, or an IP literal, checked against IP SANs and not sent), unless the context is
  // insecure. Throws std::bad_alloc if OpenSSL cannot make one.
  static std::unique_ptr<TlsSession> client(std::shared_ptr<const TlsContext> context,
                                            const std::string& server_name);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // What read() produced.
  struct ReadResult {
    std::size_t plaintext = 0;  // bytes written at the start of the plaintext span
    std::error_code error;      // a TLS failure: the connection must close
    bool closed = false;        // close_notify received: no more data from the peer
  };
  // Client: writes the ClientHello to `out`.
  std::error_code start(core::Buffer& out);
  // Consumes all of `ciphertext` (a partial record stays in OpenSSL), decrypting into
  // `plaintext`; handshake messages and alerts for the peer are appended to `out`.
  // `plaintext` may be the same memory as `ciphertext` started max_record_plaintext bytes
  // earlier: plaintext never overtakes the ciphertext still unread (each record is copied into
  // OpenSSL's record buffer before its plaintext is written out, and is larger than its
  // plaintext). `plaintext` must hold ciphertext.size() + max_record_plaintext bytes.
  ReadResult read(std::span<const std::uint8_t> ciphertext, std::span<std::uint8_t> plaintext,
                  core::Buffer& out);
  // Encrypts `plaintext` into records appended to `out`. Before the handshake completed it is
  // kept and encrypted once it has.
  std::error_code write(std::span<const std::uint8_t> plaintext, core::Buffer& out);
  // Appends a close_notify alert to `out` (once; nothing before the handshake completed).
  void close_notify(core::Buffer& out);
  // True once the handshake completed.
  bool established() const noexcept { return established_; }
  // The context the session started with.
  const TlsContext& context() const noexcept { return *context_; }

 private:
  friend struct detail::SessionBio;
  explicit TlsSession(std::shared_ptr<const TlsContext> context);
  std::error_code finish(int rc, core::Buffer& out, bool* closed);
  std::error_code encrypt(std::span<const std::uint8_t> plaintext, core::Buffer& out);
  std::error_code flush_early(core::Buffer& out);
  void take_over() noexcept;
  ReadResult open(const std::uint8_t* ciphertext, std::size_t n, std::span<std::uint8_t> plaintext,
                  core::Buffer& out);

  std::shared_ptr<const TlsContext> context_;
  ssl_st* ssl_ = nullptr;  // null once records_ took over (a server after a TLS 1.3 handshake)
  // A server's record layer of its own (tls_records.h): made by the first traffic secret
  // OpenSSL logs, dropped if it cannot take over.
  std::unique_ptr<detail::RecordLayer> records_;
  std::unique_ptr<core::Buffer> early_;  // plaintext written before the handshake completed
  // The BIO's view, set around each SSL call: the ciphertext still to read, where to write.
  const std::uint8_t* in_ = nullptr;
  std::size_t in_len_ = 0;
  core::Buffer* out_ = nullptr;
  bool established_ = false;
  bool shut_ = false;  // close_notify sent
};

}  // namespace uvws::net
