// base64 (RFC 4648, with padding) and SHA-1 through OpenSSL, for the opening handshake's
// Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 4.2.2). Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/export.h"

namespace uvws::core {

// Standard padded base64 (RFC 4648 4) of `bytes`.
UVWS_EXPORT std::string base64_encode(std::span<const std::uint8_t> bytes);
// Standard padded base64 of a string's bytes.
inline std::string base64_encode(std::string_view s) {
  return base64_encode({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

// The decoded bytes, or nullopt when `text` is not canonical padded base64 (wrong length,
// a character outside the alphabet, misplaced '=' or non-zero padding bits).
UVWS_EXPORT std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// A SHA-1 digest (20 bytes).
using Sha1Digest = std::array<std::uint8_t, 20>;
// The SHA-1 of `bytes` (for Sec-WebSocket-Accept, RFC 6455 4.2.2).
UVWS_EXPORT Sha1Digest sha1(std::span<const std::uint8_t> bytes);
// The SHA-1 of a string's bytes.
inline Sha1Digest sha1(std::string_view s) {
  return sha1({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

}  // namespace uvws::core
