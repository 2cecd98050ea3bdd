// TlsContext and TlsContextHolder: OpenSSL contexts built from the plain configs of tls.h.
// Built on any thread; immutable afterwards (OpenSSL's SSL_CTX is safe to share between threads
// once no setting changes), so every loop's connections may use one.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "tls_records.h"
#include "uvws/net/tls.h"

namespace uvws::net {
namespace {

// The ALPN list both sides offer (RFC 7301 3.1: length-prefixed names): WebSocket upgrades and
// plain HTTP both run over HTTP/1.1 (RFC 6455 4.1).
constexpr unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
// TLS 1.2 default: forward-secret AEAD suites only (no CBC, no RSA key exchange).
constexpr const char* default_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL";

// Takes OpenSSL's error queue (the last reason) into an exception naming what failed.
[[noreturn]] void fail(const std::string& what) {
  const unsigned long e = ERR_peek_last_error();
  // A missing file shows as a system error whose reason is errno's text.
  const char* r = e != 0 ? ERR_reason_error_string(e) : nullptr;
  const std::string reason = r != nullptr ? r : "unknown error";
  ERR_clear_error();
  throw std::invalid_argument("uvws TLS: " + what + ": " + reason);
}

void check(long ok, const std::string& what) {
  if (ok != 1) fail(what);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Settings of every context: versions, ciphers, no renegotiation (RFC 5746 attacks; TLS 1.3 has
// none), no compression (CRIME), and record buffers released whenever a connection is idle.
void apply_protocol(SSL_CTX* ctx, const TlsProtocolConfig& p) {
  const int min = p.min_version == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  check(SSL_CTX_set_min_proto_version(ctx, min), "setting the minimum TLS version");
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  const std::string& ciphers = p.ciphers.empty() ? std::string(default_ciphers) : p.ciphers;
  check(SSL_CTX_set_cipher_list(ctx, ciphers.c_str()), "cipher list \"" + ciphers + "\"");
  if (!p.ciphersuites.empty()) {
    check(SSL_CTX_set_ciphersuites(ctx, p.ciphersuites.c_str()),
          "ciphersuites \"" + p.ciphersuites + "\"");
  }
}

void load_certificate(SSL_CTX* ctx, const TlsCertificate& c) {
  check(SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()),
        "certificate chain " + c.cert_file);
  check(SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM),
        "private key " + c.key_file);
  check(SSL_CTX_check_private_key(ctx), "key " + c.key_file + " for " + c.cert_file);
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  // A client that offers no http/1.1 still gets served (no ALPN in the answer): refusing would
  // only break clients that send e.g. "h2" first and fall back on their own.
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, alpn_http11, sizeof alpn_http11, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int select_sni(SSL* ssl, int*, void* arg) {
  const char* host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (host == nullptr) return SSL_TLSEXT_ERR_OK;
  if (SSL_CTX* ctx = static_cast<const TlsContext*>(arg)->context_for(host)) {
    SSL_set_SSL_CTX(ssl, ctx);
  }
  return SSL_TLSEXT_ERR_OK;  // an unknown name gets the default certificate
}

SSL_CTX* new_server_ctx(const TlsServerConfig& config, const TlsCertificate& cert) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) fail("SSL_CTX_new");
  try {
    apply_protocol(ctx, config.protocol);
    load_certificate(ctx, cert);
    SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, nullptr);
    // The traffic secrets go to the session's own record layer, which frees the SSL object
    // after the handshake (tls_records.h): nothing is written anywhere.
    SSL_CTX_set_keylog_callback(ctx, &detail::log_traffic_secret);
    // Resumption: tickets (stateless) and/or the server's session cache (stateful).
    static constexpr unsigned char sid_ctx[] = "uvws";
    check(SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1), "session id context");
    if (!config.session_tickets) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    // One TLS 1.3 ticket per handshake instead of two: a WebSocket client reconnects serially.
    SSL_CTX_set_num_tickets(ctx, config.session_tickets ? 1 : 0);
    if (config.session_cache_size > 0) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx, static_cast<long>(config.session_cache_size));
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    if (config.client_certs != ClientCertMode::none) {
      if (config.client_ca_file.empty()) {
        throw std::invalid_argument("uvws TLS: client certificates need a client_ca_file");
      }
      check(SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(), nullptr),
            "client CA file " + config.client_ca_file);
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
      if (names == nullptr) fail("client CA names in " + config.client_ca_file);
      SSL_CTX_set_client_CA_list(ctx, names);
      int mode = SSL_VERIFY_PEER;
      if (config.client_certs == ClientCertMode::required) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      SSL_CTX_set_verify(ctx, mode, nullptr);
    }
  } catch (...) {
    SSL_CTX_free(ctx);
    throw;
  }
  return ctx;
}

}  // namespace

TlsContext::~TlsContext() {
  for (const Sni& s : sni_) SSL_CTX_free(s.ctx);
  SSL_CTX_free(ctx_);
}

std::shared_ptr<const TlsContext> TlsContext::server(const TlsServerConfig& config) {
  std::shared_ptr<TlsContext> c(new TlsContext);
  c->server_ = true;
  c->ctx_ = new_server_ctx(config, config.certificate);
  for (const TlsSniCertificate& s : config.sni) {
    if (s.host.empty()) throw std::invalid_argument("uvws TLS: an SNI certificate without host");
    c->sni_.push_back({lower(s.host), nullptr});
    c->sni_.back().ctx = new_server_ctx(config, s.certificate);
  }
  if (!c->sni_.empty()) {
    SSL_CTX_set_tlsext_servername_callback(c->ctx_, &select_sni);
    SSL_CTX_set_tlsext_servername_arg(c->ctx_, c.get());
  }
  return c;
}

std::shared_ptr<const TlsContext> TlsContext::client(const TlsClientConfig& config) {
  std::shared_ptr<TlsContext> c(new TlsContext);
  c->insecure_ = config.insecure;
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ctx_ == nullptr) fail("SSL_CTX_new");
  SSL_CTX* ctx = c->ctx_;
  apply_protocol(ctx, config.protocol);
  if (!config.insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!config.ca_file.empty() || !config.ca_dir.empty()) {
      check(SSL_CTX_load_verify_locations(ctx,
                                          config.ca_file.empty() ? nullptr : config.ca_file.c_str(),
                                          config.ca_dir.empty() ? nullptr : config.ca_dir.c_str()),
            "CA file/dir " + config.ca_file + config.ca_dir);
    } else {
      check(SSL_CTX_set_default_verify_paths(ctx), "the system certificate store");
    }
  }
  const TlsCertificate& cc = config.client_certificate;
  if (cc.cert_file.empty() != cc.key_file.empty()) {
    throw std::invalid_argument("uvws TLS: a client certificate needs both cert_file and key_file");
  }
  if (!cc.cert_file.empty()) load_certificate(ctx, cc);
  // Bounds the Certificate message (and with it the chain a hostile server may make us parse).
  SSL_CTX_set_max_cert_list(ctx, static_cast<long>(config.max_cert_chain_bytes));
  if (SSL_CTX_set_alpn_protos(ctx, alpn_http11, sizeof alpn_http11) != 0) fail("ALPN");
  return c;
}

SSL_CTX* TlsContext::context_for(const char* host) const noexcept {
  const std::string_view h(host);
  for (const Sni& s : sni_) {
    if (s.host.size() == h.size() &&
        std::equal(h.begin(), h.end(), s.host.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return s.ctx;
    }
    // "*.example.com" matches exactly one more label (RFC 6125 6.4.3).
    if (s.host.size() > 2 && s.host[0] == '*' && s.host[1] == '.') {
      const std::size_t dot = h.find('.');
      if (dot != std::string_view::npos && dot > 0 && lower(h.substr(dot)) == s.host.substr(1)) {
        return s.ctx;
      }
    }
  }
  return nullptr;
}

TlsContextHolder::TlsContextHolder(std::shared_ptr<const TlsContext> context) {
  reload(std::move(context));
}

TlsContextHolder::TlsContextHolder(const TlsServerConfig& config) {
  reload(config);
}

std::shared_ptr<const TlsContext> TlsContextHolder::current() const {
  const std::lock_guard lock(mutex_);
  return current_;
}

void TlsContextHolder::reload(std::shared_ptr<const TlsContext> context) {
  if (!context || !context->is_server()) {
    throw std::invalid_argument("uvws TLS: a context holder needs a server context");
  }
  const std::lock_guard lock(mutex_);
  current_.swap(context);
  // `context` now holds the old one: a parameter dies after `lock`, so the old context is freed
  // (if no open connection still holds it) outside the lock.
}

void TlsContextHolder::reload(const TlsServerConfig& config) {
  reload(TlsContext::server(config));
}

}  // namespace uvws::net
