#include "uvws/core/crypto.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace uvws::core {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock writes a terminating NUL after the output: size()+1 bytes exist.
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

namespace {
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  // EVP_DecodeBlock skips white space and does not report padding, so the canonical form
  // (which RFC 6455 asks of Sec-WebSocket-Key) is checked here first.
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - pad; ++i) {
    if (base64_value(text[i]) < 0) return std::nullopt;
  }
  if (pad > 0) {
    // The unused low bits of the last character must be zero.
    const int last = base64_value(text[text.size() - pad - 1]);
    if ((pad == 1 && (last & 0x3) != 0) || (pad == 2 && (last & 0xF) != 0)) return std::nullopt;
  }
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Sha1Digest sha1(std::span<const std::uint8_t> bytes) {
  Sha1Digest d;
  SHA1(bytes.data(), bytes.size(), d.data());
  return d;
}

}  // namespace uvws::core
