#include "payload.h"

#include <algorithm>
#include <cstring>

#include "uvws/ws/mask.h"

namespace uvws::bench {

PayloadPattern::PayloadPattern(std::size_t size, bool binary)
    : base_(size), opcode_(binary ? ws::Opcode::binary : ws::Opcode::text) {
  for (std::size_t i = 0; i < size; ++i) {
    base_[i] = binary ? static_cast<std::uint8_t>(i * 131 + 17)
                      : static_cast<std::uint8_t>(0x21 + (i * 7) % 94);
  }
}

Tag PayloadPattern::make_tag(std::uint32_t connection, std::uint64_t seq) {
  static constexpr char digits[] = "0123456789abcdef";
  Tag tag;
  // 6 hex digits of the connection index, then 10 of the sequence number.
  for (int i = 5; i >= 0; --i) {
    tag[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(digits[connection & 0xF]);
    connection >>= 4;
  }
  for (int i = 15; i >= 6; --i) {
    tag[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(digits[seq & 0xF]);
    seq >>= 4;
  }
  return tag;
}

void PayloadPattern::append_frame(core::Buffer& out, const Tag& tag, std::uint32_t mask_key) const {
  ws::Frame f;
  f.opcode = opcode_;
  f.masked = true;
  f.mask_key = mask_key;
  f.length = base_.size();
  std::uint8_t* p = out.prepare(ws::max_header_size + base_.size());
  const std::size_t header = ws::write_header(f, p);
  const std::size_t n_tag = std::min(tag.size(), base_.size());
  ws::mask_copy(p + header, tag.data(), n_tag, mask_key);
  // The tag is a multiple of 4 bytes long, so the rest starts at the same key phase.
  if (base_.size() > n_tag) {
    ws::mask_copy(p + header + n_tag, base_.data() + n_tag, base_.size() - n_tag, mask_key);
  }
  out.commit(header + base_.size());
}

bool PayloadPattern::matches(const Tag& tag, std::size_t offset,
                             std::span<const std::uint8_t> chunk) const {
  const std::size_t n_tag = std::min(tag.size(), base_.size());
  if (offset < n_tag) {
    const std::size_t n = std::min(n_tag - offset, chunk.size());
    if (std::memcmp(chunk.data(), tag.data() + offset, n) != 0) return false;
    offset += n;
    chunk = chunk.subspan(n);
  }
  return chunk.empty() || std::memcmp(chunk.data(), base_.data() + offset, chunk.size()) == 0;
}

}  // namespace uvws::bench
