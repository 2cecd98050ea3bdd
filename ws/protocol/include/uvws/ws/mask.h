// Payload masking (RFC 6455 5.3): byte i of a masked payload is XORed with byte i % 4 of the
// frame's 4-byte masking key. A client masks every frame it sends; a server unmasks every
// frame it receives. Applying the mask twice gives back the original bytes.
//
// The key as a std::uint32_t. Throughout uvws a masking key is held in a std::uint32_t whose
// object representation (its bytes in memory, not its numeric value) is the four key bytes in
// wire order, exactly as std::memcpy(&key, header + i, 4) loads them from a frame header and
// std::memcpy(header + i, &key, 4) stores them back (load_mask_key / store_mask_key below). So
// payload byte i is XORed with reinterpret_cast<const std::uint8_t*>(&key)[i % 4] on every
// machine: on a little-endian one the first wire byte is key & 0xFF, on a big-endian one it is
// key >> 24. Any 32-bit value is a valid key (core::random_mask_key() gives one).
//
// Speed: the work is done 8 bytes per operation, 32 per loop iteration, on any alignment.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "uvws/core/export.h"

namespace uvws::ws {

// The masking key at `p` (4 bytes, wire order).
inline std::uint32_t load_mask_key(const std::uint8_t* p) {
  std::uint32_t key;
  std::memcpy(&key, p, sizeof key);
  return key;
}

// Writes `key` to the 4 bytes at `p` in wire order.
inline void store_mask_key(std::uint8_t* p, std::uint32_t key) {
  std::memcpy(p, &key, sizeof key);
}

// Masks (or unmasks: the same operation) `data`, which are the payload bytes of one frame
// starting at payload offset `offset`, that is after `offset` bytes of the same payload were
// masked by earlier calls. So a payload that arrives in pieces is unmasked piece by piece:
// offset = mask_in_place(piece, key, offset), starting from 0. Only offset % 4 matters.
// Returns offset + data.size().
UVWS_EXPORT std::size_t mask_in_place(std::span<std::uint8_t> data, std::uint32_t key,
                                      std::size_t offset);

// Writes the n bytes at `src`, masked from payload offset 0, to `dst`, in one pass (the
// client's serializer builds a masked frame this way). `dst` and `src` may be equal but must
// not otherwise overlap.
UVWS_EXPORT void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                           std::uint32_t key);
// The same from payload offset `offset` (see mask_in_place): unmasks a piece of a payload
// straight into the message buffer. Returns offset + n.
UVWS_EXPORT std::size_t mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                  std::uint32_t key, std::size_t offset);

}  // namespace uvws::ws
