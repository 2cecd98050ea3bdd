// Cryptographically secure random bytes, from OpenSSL's RAND_bytes.
//
// RFC 6455 10.3 asks that masking keys be unpredictable, and RFC 6455 4.1 that the handshake
// nonce be random, so both come from the CSPRNG rather than from `<random>`.
//
// Threads: any thread may call these at any time. random_mask_key() draws from a small
// per-thread pool (512 bytes) refilled from RAND_bytes, because a client asks for one key per
// frame sent and one RAND_bytes call per 4 bytes would cost more than masking a small frame.
// The pool is discarded in a child process after fork(), so parent and child never hand out
// the same keys.
//
// Errors: when OpenSSL cannot produce random bytes (an unseeded or failed DRBG), both throw
// std::runtime_error rather than return predictable bytes.
#pragma once

#include <cstdint>
#include <span>

#include "uvws/core/export.h"

namespace uvws::core {

// Fills `out` with random bytes.
UVWS_EXPORT void random_bytes(std::span<std::uint8_t> out);

// A random 32-bit WebSocket masking key (RFC 6455 5.3); see ws/mask.h for its byte order.
UVWS_EXPORT std::uint32_t random_mask_key();

}  // namespace uvws::core
