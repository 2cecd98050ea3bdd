// Private: how the net layer makes "uvws.tls" error codes (tls_category(), uvws/net/tls.h).
// Values: an OpenSSL packed error code (library and reason, positive), a certificate
// verification result X509_V_ERR_* negated, or one of the codes below (negative, far below any
// verification result).
#pragma once

#include <openssl/types.h>

#include <system_error>

#include "uvws/net/tls.h"

namespace uvws::net::detail {

inline constexpr int tls_failed = -1000000;          // no reason in OpenSSL's queue
inline constexpr int tls_chain_too_long = -1000001;  // TlsClientConfig::max_cert_chain_bytes
inline constexpr int tls_session_failed = -1000002;  // SSL_new failed (out of memory)

// The error of a failed SSL operation from the calling thread's OpenSSL error queue, which it
// empties: the verification result when the peer's certificate failed verification.
std::error_code tls_error_from_queue(const SSL* ssl) noexcept;

}  // namespace uvws::net::detail
