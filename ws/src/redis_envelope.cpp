#include "redis_envelope.h"

#include "uvws/core/utf8.h"

namespace uvws::detail {

namespace {

constexpr std::uint8_t magic[4] = {0xFF, 'u', 'v', 0x01};

void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

void write_envelope_header(std::uint8_t* out, std::uint64_t origin, std::uint64_t sequence,
                           ws::Opcode opcode) {
  for (int i = 0; i < 4; ++i) out[i] = magic[i];
  put64(out + 4, origin);
  put64(out + 12, sequence);
  out[20] = static_cast<std::uint8_t>(opcode);
}

Envelope read_envelope(std::span<const std::uint8_t> m) {
  Envelope e;
  const bool framed = m.size() >= envelope_header_size && m[0] == magic[0] && m[1] == magic[1] &&
                      m[2] == magic[2] && m[3] == magic[3] &&
                      (m[20] == static_cast<std::uint8_t>(ws::Opcode::text) ||
                       m[20] == static_cast<std::uint8_t>(ws::Opcode::binary));
  if (!framed) {
    e.payload = m;
    e.opcode = core::is_valid_utf8(m) ? ws::Opcode::text : ws::Opcode::binary;
    return e;
  }
  e.raw = false;
  e.origin = get64(m.data() + 4);
  e.sequence = get64(m.data() + 12);
  e.opcode = static_cast<ws::Opcode>(m[20]);
  e.payload = m.subspan(envelope_header_size);
  // A text payload that is not UTF-8 would fail every receiving browser (RFC 6455 8.1).
  if (e.opcode == ws::Opcode::text && !core::is_valid_utf8(e.payload)) {
    e.opcode = ws::Opcode::binary;
  }
  return e;
}

Envelope frame_contents(std::span<const std::uint8_t> f) {
  // RFC 6455 5.2: 2 header bytes, then 2 or 8 bytes of extended length (126, 127); a
  // server's frames are unmasked.
  Envelope e;
  e.opcode = static_cast<ws::Opcode>(f[0] & 0x0F);
  const std::uint8_t len7 = f[1] & 0x7F;
  const std::size_t header = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  e.payload = f.subspan(header);
  return e;
}

}  // namespace uvws::detail
