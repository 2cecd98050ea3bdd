// The "uvws.tls" error category: OpenSSL's reasons as std::error_code values (tls_error.h).
#include "tls_error.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace uvws::net {
namespace {

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.tls"; }
  std::string message(int ev) const override {
    switch (ev) {
      case detail::tls_failed:
        return "TLS failure";
      case detail::tls_chain_too_long:
        return "certificate chain too long (above max_cert_chain_bytes)";
      case detail::tls_session_failed:
        return "cannot create a TLS session";
      default:
        break;
    }
    if (ev < 0) {
      // A certificate verification result (X509_V_ERR_*), stored negated.
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(-ev);
    }
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ev));
    return reason != nullptr ? reason : "TLS error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const TlsCategory c;
  return c;
}

namespace detail {

std::error_code tls_error_from_queue(const SSL* ssl) noexcept {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return {tls_failed, tls_category()};
  const int reason = ERR_GET_REASON(e);
  if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl != nullptr) {
      const long v = SSL_get_verify_result(ssl);
      if (v != X509_V_OK) return {-static_cast<int>(v), tls_category()};
    }
    if (reason == SSL_R_EXCESSIVE_MESSAGE_SIZE && ssl != nullptr && !SSL_is_server(ssl)) {
      return {tls_chain_too_long, tls_category()};
    }
  }
  // The packed code (library and reason, OpenSSL 3: below 2^31) keeps both for message().
  return {static_cast<int>(ERR_PACK(ERR_GET_LIB(e), 0, reason)), tls_category()};
}

}  // namespace detail
}  // namespace uvws::net
