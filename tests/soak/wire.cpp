#include "wire.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

namespace soak {

namespace {

std::string base64(const unsigned char* data, std::size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::size_t header_size(std::uint8_t second_byte) {
  const unsigned len7 = second_byte & 0x7Fu;
  const std::size_t mask = (second_byte & 0x80u) != 0 ? 4 : 0;
  return 2 + mask + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
}

}  // namespace

void append_frame(std::string& out, std::uint8_t opcode, bool fin, std::string_view payload,
                  std::uint32_t mask_key) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  const std::uint64_t len = payload.size();
  // RFC 6455 5.2: 7-bit length, or 126 + 16 bits, or 127 + 64 bits, always with the mask bit.
  if (len < 126) {
    out.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(len >> shift));
  }
  const std::array<std::uint8_t, 4> key{
      static_cast<std::uint8_t>(mask_key >> 24), static_cast<std::uint8_t>(mask_key >> 16),
      static_cast<std::uint8_t>(mask_key >> 8), static_cast<std::uint8_t>(mask_key)};
  out.append(reinterpret_cast<const char*>(key.data()), key.size());
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[start + i] = static_cast<char>(static_cast<std::uint8_t>(out[start + i]) ^ key[i % 4]);
  }
}

void append_close(std::string& out, unsigned code, std::uint32_t mask_key) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_frame(out, op_close, true, std::string_view(body, 2), mask_key);
}

bool FrameReader::feed(std::span<const std::uint8_t> bytes, Sink& sink) {
  while (!bytes.empty()) {
    if (!in_payload_) {
      const std::size_t need = head_len_ < 2 ? 2 : header_size(head_[1]);
      const std::size_t n = std::min(need - head_len_, bytes.size());
      std::copy_n(bytes.begin(), n, head_ + head_len_);
      head_len_ += n;
      bytes = bytes.subspan(n);
      if (head_len_ < need || (need == 2 && header_size(head_[1]) > 2)) continue;
      Header h;
      h.fin = (head_[0] & 0x80) != 0;
      h.rsv = static_cast<std::uint8_t>((head_[0] >> 4) & 0x7);
      h.opcode = head_[0] & 0x0F;
      h.masked = (head_[1] & 0x80) != 0;
      const unsigned len7 = head_[1] & 0x7Fu;
      std::size_t pos = 2;
      if (len7 < 126) {
        h.length = len7;
      } else {
        const std::size_t width = len7 == 126 ? 2 : 8;
        for (std::size_t i = 0; i < width; ++i) h.length = (h.length << 8) | head_[pos + i];
        pos += width;
      }
      masked_ = h.masked;
      mask_ = 0;
      if (h.masked) {
        for (std::size_t i = 0; i < 4; ++i) mask_ = (mask_ << 8) | head_[pos + i];
      }
      head_len_ = 0;
      left_ = h.length;
      offset_ = 0;
      if (!sink.on_header(h)) return false;
      // A frame with an empty payload ends with its header, just below.
      in_payload_ = true;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, bytes.size()));
    if (n > 0) {
      if (masked_) {
        // Only a broken server masks (RFC 6455 5.1); the sink normally refuses it at the header.
        std::string clear(reinterpret_cast<const char*>(bytes.data()), n);
        for (std::size_t i = 0; i < n; ++i) {
          const auto k = static_cast<std::uint8_t>(mask_ >> (24 - 8 * ((offset_ + i) % 4)));
          clear[i] = static_cast<char>(static_cast<std::uint8_t>(clear[i]) ^ k);
        }
        if (!sink.on_payload({reinterpret_cast<const std::uint8_t*>(clear.data()), n})) {
          return false;
        }
      } else if (!sink.on_payload(bytes.first(n))) {
        return false;
      }
      left_ -= n;
      offset_ += n;
      bytes = bytes.subspan(n);
    }
    if (left_ == 0) {
      in_payload_ = false;
      if (!sink.on_end()) return false;
    }
  }
  return true;
}

Handshake::Handshake(std::string_view host, std::uint16_t port, std::uint64_t key_seed) {
  std::array<unsigned char, 16> nonce{};
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    key_seed = key_seed * 6364136223846793005ULL + 1442695040888963407ULL;
    nonce[i] = static_cast<unsigned char>(key_seed >> 56);
  }
  const std::string key = base64(nonce.data(), nonce.size());
  // RFC 6455 1.3 / 4.2.2: the accept value is base64(SHA-1(key + GUID)).
  const std::string joined = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest.data());
  accept_ = base64(digest.data(), digest.size());
  request_ = "GET /soak HTTP/1.1\r\nHost: " + std::string(host) + ":" + std::to_string(port) +
             "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
             "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

Handshake::Status Handshake::feed(std::span<const std::uint8_t> bytes, std::string& rest) {
  const std::size_t old = answer_.size();
  answer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t end = answer_.find("\r\n\r\n", old < 3 ? 0 : old - 3);
  if (end == std::string::npos) {
    if (answer_.size() > 16384) {
      detail_ = "answer head longer than 16 KiB";
      return Status::invalid;
    }
    return Status::incomplete;
  }
  const std::string_view head(answer_.data(), end + 2);
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status = head.substr(0, line_end);
  if (status.substr(0, 9) != "HTTP/1.1 ") {
    detail_ = "status line '" + std::string(status) + "'";
    return Status::invalid;
  }
  if (status.substr(9, 3) != "101") {
    detail_ = std::string(status);
    return Status::refused;
  }
  // RFC 6455 4.1, the client's checks 2-4 of the answer.
  bool upgrade = false;
  bool connection = false;
  bool accept = false;
  for (std::size_t pos = line_end + 2; pos < head.size();) {
    const std::size_t eol = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      detail_ = "malformed header line";
      return Status::invalid;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "upgrade")) upgrade = iequals(value, "websocket");
    if (iequals(name, "connection")) connection = iequals(value, "upgrade");
    if (iequals(name, "sec-websocket-accept")) accept = value == accept_;
  }
  if (!upgrade || !connection || !accept) {
    detail_ = "101 without the right Upgrade, Connection or Sec-WebSocket-Accept";
    return Status::invalid;
  }
  rest = answer_.substr(end + 4);
  std::string().swap(answer_);
  return Status::accepted;
}

}  // namespace soak
