// The permessage-deflate codec (RFC 7692 7.2) on zlib's raw DEFLATE streams. Negotiation is
// in deflate_negotiation.cpp.
#include "uvws/ws/permessage_deflate.h"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "uvws/ws/error.h"

namespace uvws::ws {
namespace detail {

// One zlib stream, heap-allocated so that zlib's opaque pointer to it stays valid. zlib
// allocates through alloc_cb/free_cb, which count the bytes so memory_usage() is exact.
//
// Memory: all of a stream's zlib blocks are cut from one arena, mapped with the stream (mmap,
// so straight from the kernel, outside the heap) and sized for what zlib asks at these settings
// (its state, window, hash chains and pending buffer). When the stream goes (release_idle, or
// the connection's end), munmap gives every page back at once. A heap arena, even with its
// inner pages madvised away before free(), left ~9 KiB resident per released connection (the
// allocator's chunk headers at the arena's edges, and the small blocks it later cut from the
// freed range, each touching a page of its own). One mmap per stream made: at a connection's
// first compressed message and again after each idle release, never per message. Untouched
// pages (most of the window until it fills) cost nothing. Should mmap fail (the process's map
// count limit, vm.max_map_count: adjacent arenas usually share one mapping, yet tens of
// thousands of busy streams could reach it), the arena comes from malloc instead, with its
// whole pages madvised away before free(). A zlib that asks for more than planned (another
// version) is served by malloc.
struct DeflateStream {
  enum class Kind : std::uint8_t { inflate, deflate };

  // Throws std::bad_alloc when zlib cannot allocate its state.
  DeflateStream(Kind k, int window_bits, int level, int mem_level) : kind(k) {
    const std::size_t page = page_size();
    arena_size = (arena_bytes(k, window_bits, mem_level) + page - 1) / page * page;
    void* m =
        ::mmap(nullptr, arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      arena = static_cast<unsigned char*>(m);
      arena_mapped = true;
    } else {
      arena = static_cast<unsigned char*>(std::malloc(arena_size));
      if (arena == nullptr) throw std::bad_alloc();
    }
    z.zalloc = &alloc_cb;
    z.zfree = &free_cb;
    z.opaque = this;
    // Negative window bits select raw DEFLATE, without zlib's header and checksum
    // (RFC 7692 7.2 carries bare DEFLATE data, RFC 1951).
    const int rc = kind == Kind::inflate ? inflateInit2(&z, -window_bits)
                                         : deflateInit2(&z, level, Z_DEFLATED, -window_bits,
                                                        mem_level, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
      free_arena();
      if (rc == Z_MEM_ERROR) throw std::bad_alloc();
      // Anything else means parameters validate() should have refused, or a zlib.h that does
      // not match the library.
      throw std::logic_error("uvws: zlib refused the permessage-deflate settings");
    }
  }
  ~DeflateStream() {
    if (kind == Kind::inflate) {
      inflateEnd(&z);
    } else {
      deflateEnd(&z);
    }
    free_arena();
  }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Each block handed to zlib has this header in front: its size and where it came from.
  struct alignas(std::max_align_t) Header {
    std::size_t size;
    bool in_arena;
  };

  // What zlib 1.2 allocates (deflate.c, inflate.c): the state (under 8 KiB), then for deflate
  // the window (2 * 2^bits), prev (2 * 2^bits), head (2 * 2^(mem_level + 7)) and pending
  // buffer (4 * 2^(mem_level + 6)); for inflate the window (2^bits), on first output. Plus a
  // header per block.
  static std::size_t arena_bytes(Kind k, int window_bits, int mem_level) {
    const std::size_t window = std::size_t{1} << window_bits;
    const std::size_t blocks = k == Kind::inflate ? 2 : 5;
    std::size_t n = 8192 + blocks * sizeof(Header);
    if (k == Kind::inflate) return n + window;
    n += 4 * window;
    n += 2 * (std::size_t{1} << (mem_level + 7));
    n += 4 * (std::size_t{1} << (mem_level + 6));
    return n;
  }

  static voidpf alloc_cb(voidpf opaque, uInt items, uInt size) {
    auto& self = *static_cast<DeflateStream*>(opaque);
    const std::size_t n = std::size_t{items} * size;
    const std::size_t need =
        sizeof(Header) + (n + alignof(Header) - 1) / alignof(Header) * alignof(Header);
    unsigned char* p = nullptr;
    bool in_arena = false;
    if (self.arena_size - self.arena_used >= need) {
      p = self.arena + self.arena_used;
      self.arena_used += need;
      in_arena = true;
    } else {
      p = static_cast<unsigned char*>(std::malloc(sizeof(Header) + n));
      if (p == nullptr) return Z_NULL;
    }
    new (p) Header{n, in_arena};
    self.allocated += n;
    return p + sizeof(Header);
  }
  static void free_cb(voidpf opaque, voidpf address) {
    if (address == Z_NULL) return;
    auto* p = static_cast<unsigned char*>(address) - sizeof(Header);
    const Header h = *reinterpret_cast<Header*>(p);
    static_cast<DeflateStream*>(opaque)->allocated -= h.size;
    // Arena blocks go with the arena (zlib frees them only in its End calls).
    if (!h.in_arena) std::free(p);
  }
  void free_arena() {
    if (arena_mapped) {
      ::munmap(arena, arena_size);
      return;
    }
    // A freed heap block that is not at the top of the heap stays resident: its whole pages go
    // back to the kernel first (what malloc_trim() does for free memory). The allocator writes
    // only at the block's ends, which stay mapped.
    const std::size_t page = page_size();
    const auto begin = reinterpret_cast<std::uintptr_t>(arena);
    const std::uintptr_t first = (begin + page - 1) & ~(page - 1);
    const std::uintptr_t last = (begin + arena_size) & ~(page - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    std::free(arena);
  }
  static std::size_t page_size() {
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return page;
  }

  unsigned char* arena = nullptr;
  std::size_t arena_size = 0;
  std::size_t arena_used = 0;
  bool arena_mapped = false;  // mmap'd (else malloc'd, when mmap failed)
  z_stream z{};
  std::size_t allocated = 0;  // bytes zlib holds for this stream
  Kind kind;
  bool in_message = false;        // between the first piece of a message and its end
  bool ended_in_message = false;  // a BFINAL block ended the stream within this message
};

}  // namespace detail

namespace {

using detail::DeflateStream;

constexpr std::uint8_t deflate_tail[4] = {0x00, 0x00, 0xff, 0xff};
// zlib counts in uInt; larger spans are fed in slices of this size.
constexpr std::size_t max_slice = std::size_t{1} << 30;
constexpr std::size_t max_step = std::size_t{1} << 20;

// Forgets the caller's buffers, so that no later call can touch them through the stream.
void detach(z_stream& z) {
  z.next_in = Z_NULL;
  z.avail_in = 0;
  z.next_out = Z_NULL;
  z.avail_out = 0;
}

// zlib refuses raw deflate with 8 window bits; 9 with level 0 (stored blocks only, no
// back-references at all) is still valid for a peer with a 256-byte window. Inflating with
// 9 rather than 8 accepts a superset, including peers whose older zlib silently used 9.
int zlib_window_bits(int bits) {
  return std::max(bits, 9);
}

// The compressor every connection of this thread with the same settings may borrow when its
// own side resets context after each message: the state it would keep is thrown away anyway.
struct SharedDeflater {
  std::unique_ptr<DeflateStream> stream;
  int window_bits = 0;
  int level = 0;
  int mem_level = 0;
};
thread_local SharedDeflater shared_deflater;

DeflateStream& borrow_shared(int window_bits, int level, int mem_level) {
  SharedDeflater& s = shared_deflater;
  if (!s.stream || s.window_bits != window_bits || s.level != level || s.mem_level != mem_level) {
    s.stream.reset();
    s.stream = std::make_unique<DeflateStream>(DeflateStream::Kind::deflate, window_bits, level,
                                               mem_level);
    s.window_bits = window_bits;
    s.level = level;
    s.mem_level = mem_level;
  }
  return *s.stream;
}

// Deflates `data` into `out` ending with a sync flush, so that everything given is in the
// output and the stream is byte-aligned again (RFC 7692 7.2.1). With `strip_tail` the final
// 0x00 0x00 0xff 0xff is left out. The last four bytes produced are held back in `held` rather
// than committed, so they can be dropped however zlib split its output between calls.
void deflate_into(DeflateStream& s, std::span<const std::uint8_t> data, bool strip_tail,
                  core::Buffer& out) {
  z_stream& z = s.z;
  std::uint8_t held[4];
  std::size_t held_n = 0;
  std::size_t offset = 0;
  // Most messages fit in one round; larger output doubles the room each time.
  std::size_t room =
      std::min(deflateBound(&z, static_cast<uLong>(std::min(data.size(), max_slice))) + 16,
               std::size_t{4096} + data.size() / 4);
  for (;;) {
    if (z.avail_in == 0 && offset < data.size()) {
      const std::size_t n = std::min(data.size() - offset, max_slice);
      z.next_in = const_cast<Bytef*>(data.data() + offset);
      z.avail_in = static_cast<uInt>(n);
      offset += n;
    }
    const bool last_slice = offset == data.size();
    std::uint8_t* p = out.prepare(held_n + room);
    std::memcpy(p, held, held_n);
    z.next_out = p + held_n;
    z.avail_out = static_cast<uInt>(room);
    [[maybe_unused]] const int rc = ::deflate(&z, last_slice ? Z_SYNC_FLUSH : Z_NO_FLUSH);
    assert(rc == Z_OK || rc == Z_BUF_ERROR);
    const std::size_t len = held_n + (room - z.avail_out);
    held_n = std::min<std::size_t>(len, 4);
    std::memcpy(held, p + len - held_n, held_n);
    out.commit(len - held_n);
    if (last_slice && z.avail_in == 0 && z.avail_out != 0) break;
    room = std::min(room * 2, max_step);
  }
  detach(z);
  if (strip_tail) {
    // A sync flush always ends in an empty stored block, 0x00 0x00 0xff 0xff.
    assert(held_n == 4 && std::memcmp(held, deflate_tail, 4) == 0);
  } else {
    out.append(held, held_n);
  }
}

}  // namespace

PerMessageDeflate::PerMessageDeflate(const DeflateParams& params, Role role,
                                     const DeflateOptions& options)
    : params_(params),
      role_(role),
      level_(static_cast<std::uint8_t>(options.compression_level)),
      mem_level_(static_cast<std::uint8_t>(options.mem_level)),
      compress_bits_(static_cast<std::uint8_t>(options.compression_window_bits)),
      min_size_(options.min_size_to_compress) {
  assert(params.server_max_window_bits >= 8 && params.server_max_window_bits <= 15);
  assert(params.client_max_window_bits >= 8 && params.client_max_window_bits <= 15);
}

PerMessageDeflate::~PerMessageDeflate() = default;
PerMessageDeflate::PerMessageDeflate(PerMessageDeflate&&) noexcept = default;
PerMessageDeflate& PerMessageDeflate::operator=(PerMessageDeflate&&) noexcept = default;

bool PerMessageDeflate::own_no_context_takeover() const {
  return role_ == Role::server ? params_.server_no_context_takeover
                               : params_.client_no_context_takeover;
}

bool PerMessageDeflate::peer_no_context_takeover() const {
  return role_ == Role::server ? params_.client_no_context_takeover
                               : params_.server_no_context_takeover;
}

int PerMessageDeflate::own_window_bits() const {
  return role_ == Role::server ? params_.server_max_window_bits : params_.client_max_window_bits;
}

int PerMessageDeflate::compress_window_bits() const {
  // A sender may use less than the window it agreed to (RFC 7692 7.1.2.1, 7.1.2.2 bound only the
  // largest): a stream made with a smaller window inflates with any larger one. 8 stays 8 (stored
  // blocks only, own_level()).
  const int bits = own_window_bits();
  return bits == 8 ? 8 : std::min(bits, int{compress_bits_});
}

int PerMessageDeflate::own_level() const {
  return own_window_bits() == 8 ? 0 : level_;
}

PerMessageDeflate::Stream& PerMessageDeflate::inflater() {
  if (!inflater_) {
    // Always the largest window, whatever the peer agreed to (RFC 7692 7.1.2 binds the sender
    // to its window; a receiver may check). zlib checks a back-reference only against the
    // output of earlier inflate() calls, so with a smaller window whether a too-distant
    // reference fails would depend on how TCP split the message: the same bytes could be
    // accepted once and refused another time. With 15 bits every valid DEFLATE distance is
    // accepted, however the input is split; the cost is the window's memory (32 KiB instead of
    // 2^bits), which release_idle() gives back while the connection is quiet.
    inflater_ = std::make_unique<Stream>(Stream::Kind::inflate, 15, 0, 0);
    restore_window(*inflater_, saved_inflate_window_);
  }
  return *inflater_;
}

PerMessageDeflate::Stream& PerMessageDeflate::deflater() {
  if (!deflater_) {
    deflater_ = std::make_unique<Stream>(
        Stream::Kind::deflate, zlib_window_bits(compress_window_bits()), own_level(), mem_level_);
    restore_window(*deflater_, saved_deflate_window_);
  }
  return *deflater_;
}

void PerMessageDeflate::restore_window(Stream& s, core::Buffer& saved) {
  if (saved.empty()) return;
  // Raw streams take a dictionary right after init: the window as it was when released.
  const auto n = static_cast<uInt>(saved.size());
  const int rc = s.kind == Stream::Kind::inflate ? inflateSetDictionary(&s.z, saved.data(), n)
                                                 : deflateSetDictionary(&s.z, saved.data(), n);
  if (rc != Z_OK) throw std::logic_error("uvws: zlib refused a saved window");
  saved.release();
}

void PerMessageDeflate::save_window(std::unique_ptr<Stream>& s, core::Buffer& saved) {
  uInt n = 0;
  if (s->kind == Stream::Kind::inflate) {
    inflateGetDictionary(&s->z, Z_NULL, &n);
  } else {
    deflateGetDictionary(&s->z, Z_NULL, &n);
  }
  saved.clear();
  if (n != 0) {
    saved.reserve(n);
    std::uint8_t* p = saved.prepare(n);
    if (s->kind == Stream::Kind::inflate) {
      inflateGetDictionary(&s->z, p, &n);
    } else {
      deflateGetDictionary(&s->z, p, &n);
    }
    saved.commit(n);
  } else {
    saved.release();
  }
  s.reset();
}

std::optional<Error> PerMessageDeflate::inflate(std::span<const std::uint8_t> in, core::Buffer& out,
                                                std::size_t max_total_out) {
  if (in.empty()) return std::nullopt;  // nothing to do, and nothing to allocate yet
  Stream& s = inflater();
  s.in_message = true;
  // RFC 7692 7.2.3.4: after a block with BFINAL set only padding follows; zlib would not
  // read past the end of the stream either.
  if (s.ended_in_message) return std::nullopt;
  return run_inflate(in, out, max_total_out);
}

std::optional<Error> PerMessageDeflate::finish_inflate(core::Buffer& out,
                                                       std::size_t max_total_out) {
  // A compressed message with an empty payload is an empty message: the stream never saw it.
  if (!inflater_ || !inflater_->in_message) return std::nullopt;
  Stream& s = *inflater_;
  if (!s.ended_in_message) {
    // RFC 7692 7.2.2: append 0x00 0x00 0xff 0xff to the payload, then decompress.
    if (const auto e = run_inflate(deflate_tail, out, max_total_out)) return e;
    // With the tail a conforming payload ends on a block boundary (RFC 7692 7.2.1: it ended
    // in an empty stored block), where zlib waits for a block header (data_type bit 7).
    // Anything else is truncated data that would corrupt the next message.
    if (!s.ended_in_message && (s.z.data_type & 128) == 0) {
      return fail_inflate(Error::bad_compressed_data);
    }
  }
  if (s.ended_in_message && !peer_no_context_takeover()) {
    // The sender ended its DEFLATE stream; the next message starts a new one, which may
    // still refer to what came before (context takeover), so the window is carried over.
    uInt n = 0;
    inflateGetDictionary(&s.z, Z_NULL, &n);
    auto window = std::make_unique_for_overwrite<Bytef[]>(std::max<uInt>(n, 1));
    inflateGetDictionary(&s.z, window.get(), &n);
    inflateReset(&s.z);
    if (n != 0) inflateSetDictionary(&s.z, window.get(), n);
  } else if (s.ended_in_message || peer_no_context_takeover()) {
    inflateReset(&s.z);
  }
  s.in_message = false;
  s.ended_in_message = false;
  return std::nullopt;
}

Error PerMessageDeflate::fail_inflate(Error e) {
  // The message is lost and the caller fails the connection; leave a usable stream anyway.
  Stream& s = *inflater_;
  inflateReset(&s.z);
  s.in_message = false;
  s.ended_in_message = false;
  return e;
}

std::optional<Error> PerMessageDeflate::run_inflate(std::span<const std::uint8_t> in,
                                                    core::Buffer& out, std::size_t max_total_out) {
  z_stream& z = inflater_->z;
  // Output room per round: enough for typical ratios at once, growing with the output so a
  // large message costs O(log n) rounds, and never beyond one byte past the limit.
  std::size_t step = std::clamp(std::max(in.size() * 4, out.size()), std::size_t{1024}, max_step);
  std::size_t offset = 0;
  int rc = Z_OK;
  for (;;) {
    if (z.avail_in == 0 && offset < in.size()) {
      const std::size_t n = std::min(in.size() - offset, max_slice);
      z.next_in = const_cast<Bytef*>(in.data() + offset);
      z.avail_in = static_cast<uInt>(n);
      offset += n;
    }
    if (out.size() > max_total_out) break;
    const std::size_t remaining = max_total_out - out.size();
    const std::size_t room = remaining < step ? remaining + 1 : step;
    z.next_out = out.prepare(room);
    z.avail_out = static_cast<uInt>(room);
    rc = ::inflate(&z, Z_SYNC_FLUSH);
    out.commit(room - z.avail_out);
    if (out.size() > max_total_out || rc == Z_STREAM_END) break;
    if (rc == Z_MEM_ERROR) {
      detach(z);
      throw std::bad_alloc();
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    step = std::min(step * 2, max_step);
    // With room left over zlib has used up its input: take the next slice, or stop.
    if (z.avail_out != 0 && offset == in.size()) break;
  }
  detach(z);  // `in` and `out` may move or die after this call
  if (out.size() > max_total_out) return fail_inflate(Error::message_too_big);
  if (rc == Z_STREAM_END) {
    inflater_->ended_in_message = true;
    return std::nullopt;
  }
  if (rc != Z_OK && rc != Z_BUF_ERROR) return fail_inflate(Error::bad_compressed_data);
  return std::nullopt;
}

bool PerMessageDeflate::should_compress(std::size_t size) const {
  return size >= min_size_ && own_window_bits() > 8;
}

namespace {

// One message through the thread's shared compressor, which starts each message reset and
// ends it reset.
void compress_with_shared(std::span<const std::uint8_t> message, int window_bits, int level,
                          int mem_level, core::Buffer& out) {
  DeflateStream& s = borrow_shared(zlib_window_bits(window_bits), level, mem_level);
  if (message.empty()) {
    out.push_back(0x00);
    return;
  }
  try {
    deflate_into(s, message, true, out);
  } catch (...) {
    detach(s.z);
    deflateReset(&s.z);
    throw;
  }
  deflateReset(&s.z);
}

}  // namespace

void compress_stateless(std::span<const std::uint8_t> message, const StatelessCompression& settings,
                        core::Buffer& out) {
  compress_with_shared(message, settings.window_bits, settings.level, settings.mem_level, out);
}

std::optional<StatelessCompression> PerMessageDeflate::stateless() const {
  if (!own_no_context_takeover() || own_window_bits() <= 8) return std::nullopt;
  return StatelessCompression{static_cast<std::uint8_t>(compress_window_bits()),
                              static_cast<std::uint8_t>(own_level()), mem_level_,
                              static_cast<std::uint32_t>(std::min<std::size_t>(
                                  min_size_, std::numeric_limits<std::uint32_t>::max()))};
}

void PerMessageDeflate::compress(std::span<const std::uint8_t> message, core::Buffer& out) {
  assert(!(deflater_ && deflater_->in_message));
  if (own_no_context_takeover()) {
    compress_with_shared(message, compress_window_bits(), own_level(), mem_level_, out);
    return;
  }
  compress_fragment(message, true, out);
}

void PerMessageDeflate::compress_fragment(std::span<const std::uint8_t> data, bool fin,
                                          core::Buffer& out) {
  if (data.empty()) {
    // zlib emits nothing for a second flush in a row, yet a message must end in a complete
    // block: 0x00 begins an empty stored block whose 0x00 0x00 0xff 0xff was removed
    // (RFC 7692 7.2.3.6). Our stream is always flushed and byte-aligned between calls.
    if (fin) {
      out.push_back(0x00);
      if (deflater_) {
        deflater_->in_message = false;
        if (own_no_context_takeover()) deflateReset(&deflater_->z);
      }
    }
    return;
  }
  Stream& s = deflater();
  s.in_message = !fin;
  try {
    deflate_into(s, data, fin, out);
  } catch (...) {
    detach(s.z);  // the message is lost; the stream must not keep pointers into `data`
    throw;
  }
  if (fin && own_no_context_takeover()) deflateReset(&s.z);
}

void PerMessageDeflate::release_idle() {
  if (inflater_ && !inflater_->in_message) {
    if (peer_no_context_takeover()) {
      inflater_.reset();
    } else {
      save_window(inflater_, saved_inflate_window_);
    }
  }
  if (deflater_ && !deflater_->in_message) {
    if (own_no_context_takeover()) {
      deflater_.reset();
    } else {
      save_window(deflater_, saved_deflate_window_);
    }
  }
}

std::size_t PerMessageDeflate::memory_usage() const {
  std::size_t n = 0;
  for (const Stream* s : {inflater_.get(), deflater_.get()}) {
    if (s != nullptr) n += sizeof(Stream) + s->allocated;
  }
  return n + saved_inflate_window_.capacity() + saved_deflate_window_.capacity();
}

std::size_t PerMessageDeflate::shared_compressor_memory() {
  const SharedDeflater& s = shared_deflater;
  return s.stream ? sizeof(DeflateStream) + s.stream->allocated : 0;
}

}  // namespace uvws::ws
