// TLS configuration and contexts (OpenSSL 3) for TCPConnection: what a server or a client
// connection needs to speak TLS over its socket (wss://, https://).
//
// What: TlsServerConfig and TlsClientConfig are plain values; TlsContext is an immutable
// OpenSSL context (SSL_CTX) built from one of them; TlsContextHolder is a server's current
// context, swapped by a reload. The sessions themselves are private to the net layer: a
// TCPConnection started with a context encrypts and decrypts in its read and write paths, with
// OpenSSL working on memory only (libuv keeps the socket).
// Ownership: contexts are shared (std::shared_ptr); each TLS connection keeps the context it
// started with, so a reload never disturbs an open connection.
// Threads: a TlsContext is immutable once built and may be shared by every loop and thread;
// TlsContextHolder's functions may be called from any thread.
// Errors: building a context from a bad file or setting throws std::invalid_argument (or
// std::runtime_error) whose message carries OpenSSL's reason; TLS failures of a connection reach
// it as std::error_code of tls_category().
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "uvws/core/export.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace uvws::net {

// The lowest protocol version a context accepts (TLS 1.3 is always preferred when both can).
enum class TlsVersion { tls1_2, tls1_3 };

// Whether a server asks its clients for a certificate (mutual TLS).
enum class ClientCertMode {
  none,      // no CertificateRequest
  optional,  // asked for; a client without one is accepted, a bad one is refused
  required,  // a client without a valid certificate is refused in the handshake
};

// One certificate with its private key, both PEM files (the certificate file may hold the
// chain: the leaf first, then its intermediates).
struct UVWS_EXPORT TlsCertificate {
  std::string cert_file;  // the certificate (chain), PEM
  std::string key_file;   // its private key, PEM
};

// A certificate chosen by the host name the client sends (SNI, RFC 6066 3).
struct UVWS_EXPORT TlsSniCertificate {
  std::string host;            // exact name, case-insensitive, or "*.example.com" for one label
  TlsCertificate certificate;  // served to clients that ask for `host`
};

// Protocol knobs shared by both sides; the defaults are safe.
struct UVWS_EXPORT TlsProtocolConfig {
  TlsVersion min_version = TlsVersion::tls1_2;  // the oldest version accepted
  // TLS 1.2 cipher list (OpenSSL syntax); empty: forward-secret AEAD suites only.
  std::string ciphers;
  // TLS 1.3 ciphersuites (OpenSSL syntax); empty: OpenSSL's default (all AEAD).
  std::string ciphersuites;
};

// What a TLS server needs.
struct UVWS_EXPORT TlsServerConfig {
  TlsCertificate certificate;              // the default certificate (required)
  std::vector<TlsSniCertificate> sni;      // further certificates chosen by SNI host name
  TlsProtocolConfig protocol;              // versions and ciphers
  bool session_tickets = true;             // stateless resumption (RFC 8446 4.6.1, RFC 5077)
  std::size_t session_cache_size = 20000;  // stateful resumption cache entries; 0: none
  ClientCertMode client_certs = ClientCertMode::none;  // mTLS: none, optional or required
  std::string client_ca_file;  // the CAs client certificates must chain to (PEM)
};

// What a TLS client needs.
struct UVWS_EXPORT TlsClientConfig {
  // Trust: the system store unless ca_file or ca_dir is given (then only those).
  std::string ca_file;  // trusted CAs in one PEM file
  std::string ca_dir;   // a directory of trusted CAs (OpenSSL's hashed names, c_rehash)
  // No verification at all (test setups only): every connection logs a warning.
  bool insecure = false;
  TlsCertificate client_certificate;  // optional: both files, or neither
  TlsProtocolConfig protocol;         // versions and ciphers
  // The server's Certificate message may be at most this long; a longer one fails the handshake
  // with "certificate chain too long" (a memory bound against hostile servers).
  std::size_t max_cert_chain_bytes = 100 * 1024;
};

// An immutable OpenSSL context of one side, built from a config.
class UVWS_EXPORT TlsContext {
 public:
  // A server context. Throws std::invalid_argument with OpenSSL's reason when a file cannot be
  // read or a key does not match its certificate, or when a knob is invalid.
  static std::shared_ptr<const TlsContext> server(const TlsServerConfig& config);
  // A client context. Throws as server() does.
  static std::shared_ptr<const TlsContext> client(const TlsClientConfig& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // True for a server context.
  bool is_server() const noexcept { return server_; }
  // True for a client context made with `insecure`.
  bool insecure() const noexcept { return insecure_; }
  // The default SSL_CTX (for an advanced caller's own OpenSSL settings before first use).
  ssl_ctx_st* native() const noexcept { return ctx_; }
  // The SSL_CTX for an SNI host name, or nullptr when none matches (the default then serves).
  ssl_ctx_st* context_for(const char* host) const noexcept;

 private:
  struct Sni {
    std::string host;  // lowercase
    ssl_ctx_st* ctx;
  };
  TlsContext() = default;

  ssl_ctx_st* ctx_ = nullptr;
  std::vector<Sni> sni_;
  bool server_ = false;
  bool insecure_ = false;
};

// A server's current context, swapped by a reload: new connections take the current one, open
// connections keep the one they started with. Every function may be called from any thread.
class UVWS_EXPORT TlsContextHolder {
 public:
  // A holder of `context` (a server context; std::invalid_argument if null or a client one).
  explicit TlsContextHolder(std::shared_ptr<const TlsContext> context);
  // A holder of a context built from `config` (throws as TlsContext::server()).
  explicit TlsContextHolder(const TlsServerConfig& config);

  // The current context.
  std::shared_ptr<const TlsContext> current() const;
  // Replaces the current context (std::invalid_argument if null or a client one).
  void reload(std::shared_ptr<const TlsContext> context);
  // Builds a context from `config` and swaps it in; throws, keeping the old one, if it fails.
  void reload(const TlsServerConfig& config);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsContext> current_;  // guarded by mutex_
};

// TLS errors of a connection ("uvws.tls"). message() gives OpenSSL's reason, with the
// certificate verification result when that failed, e.g. "certificate verify failed:
// self-signed certificate" or "certificate verify failed: Hostname mismatch".
UVWS_EXPORT const std::error_category& tls_category() noexcept;

}  // namespace uvws::net
