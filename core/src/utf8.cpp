#include "uvws/core/utf8.h"

#include <array>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define UVWS_UTF8_X86 1
#include <immintrin.h>
#endif

namespace uvws::core {
namespace {

// The byte-at-a-time automaton, used for the sequences split between chunks. It accepts
// exactly the well-formed sequences of RFC 3629 section 4 (Table 3-7 of the Unicode standard):
//   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC 80..BF 80..BF | ED 80..9F 80..BF
//   | EE..EF 80..BF 80..BF | F0 90..BF 80..BF 80..BF | F1..F3 80..BF 80..BF 80..BF
//   | F4 80..8F 80..BF 80..BF
// Each state says which byte may come next, so a byte that no valid continuation allows is
// rejected at once (0xE0 0x80 fails at 0x80, not at the end of the sequence).
enum State : std::uint8_t {
  accept = 0,  // between sequences
  reject = Utf8Validator::reject_state,
  cont1 = 2,     // one more 80..BF
  cont2 = 3,     // two more 80..BF
  cont3 = 4,     // three more 80..BF
  after_e0 = 5,  // A0..BF then one more (no overlong 3-byte form)
  after_ed = 6,  // 80..9F then one more (no surrogates)
  after_f0 = 7,  // 90..BF then two more (no overlong 4-byte form)
  after_f4 = 8,  // 80..8F then two more (nothing over U+10FFFF)
  state_count = 9,
};

// Byte classes: ranges of bytes that every state treats alike.
enum Class : std::uint8_t {
  ascii,   // 00..7F
  c80_8f,  // continuation bytes, split where some state needs it
  c90_9f,
  ca0_bf,
  invalid,  // C0, C1 (always overlong), F5..FF (always over U+10FFFF)
  lead2,    // C2..DF
  e0,
  lead3,  // E1..EC, EE, EF
  ed,
  f0,
  lead4,  // F1..F3
  f4,
  class_count,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> c{};
  const auto set = [&c](unsigned lo, unsigned hi, Class k) {
    for (unsigned b = lo; b <= hi; ++b) c[b] = k;
  };
  set(0x00, 0x7F, ascii);
  set(0x80, 0x8F, c80_8f);
  set(0x90, 0x9F, c90_9f);
  set(0xA0, 0xBF, ca0_bf);
  set(0xC0, 0xC1, invalid);
  set(0xC2, 0xDF, lead2);
  set(0xE0, 0xE0, e0);
  set(0xE1, 0xEF, lead3);
  set(0xED, 0xED, ed);
  set(0xF0, 0xF0, f0);
  set(0xF1, 0xF3, lead4);
  set(0xF4, 0xF4, f4);
  set(0xF5, 0xFF, invalid);
  return c;
}
constexpr std::array<std::uint8_t, 256> byte_class = make_classes();

constexpr std::uint8_t R = reject;
// next_state[state][class]
constexpr std::uint8_t next_state[state_count][class_count] = {
    // ascii 80-8F 90-9F A0-BF inval lead2 e0 lead3 ed f0 lead4 f4
    {accept, R, R, R, R, cont1, after_e0, cont2, after_ed, after_f0, cont3, after_f4},  // accept
    {R, R, R, R, R, R, R, R, R, R, R, R},                                               // reject
    {R, accept, accept, accept, R, R, R, R, R, R, R, R},                                // cont1
    {R, cont1, cont1, cont1, R, R, R, R, R, R, R, R},                                   // cont2
    {R, cont2, cont2, cont2, R, R, R, R, R, R, R, R},                                   // cont3
    {R, R, R, cont1, R, R, R, R, R, R, R, R},                                           // after_e0
    {R, cont1, cont1, R, R, R, R, R, R, R, R, R},                                       // after_ed
    {R, R, cont2, cont2, R, R, R, R, R, R, R, R},                                       // after_f0
    {R, cont2, R, R, R, R, R, R, R, R, R, R},                                           // after_f4
};

inline std::uint8_t step(std::uint8_t state, std::uint8_t byte) {
  return next_state[state][byte_class[byte]];
}

constexpr std::uint64_t high_bits = 0x8080808080808080u;

inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Where the sequence that ends `n` bytes at `p` may start: the offset of the last lead byte if
// it lies in the last four bytes, else n. [0, result) then holds only whole sequences when
// the input is valid, and [result, n) is at most four bytes.
std::size_t last_sequence_start(const std::uint8_t* p, std::size_t n) {
  const std::size_t stop = n > 4 ? n - 4 : 0;
  for (std::size_t i = n; i > stop; --i) {
    const std::uint8_t b = p[i - 1];
    if ((b & 0xC0) != 0x80) return b >= 0xC0 ? i - 1 : n;
  }
  return n;
}

}  // namespace

namespace detail {

bool utf8_valid_scalar(const std::uint8_t* p, std::size_t n) {
  // One whole sequence per iteration, its length and the range of its second byte taken from
  // the lead byte (RFC 3629 section 4), rather than the DFA's two dependent table loads per
  // byte: this is the path of CPUs without AVX2.
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      // ASCII fast path: 16 bytes per test, then 8, then single bytes.
      while (n - i >= 16 && ((load64(p + i) | load64(p + i + 8)) & high_bits) == 0) i += 16;
      while (n - i >= 8 && (load64(p + i) & high_bits) == 0) i += 8;
      while (i < n && p[i] < 0x80) ++i;
      continue;
    }
    const std::uint8_t lead = p[i];
    std::size_t len;
    std::uint8_t lo = 0x80;  // range of the second byte
    std::uint8_t hi = 0xBF;
    if (lead < 0xC2) {
      return false;  // a continuation byte, or C0/C1 (overlong)
    } else if (lead < 0xE0) {
      len = 2;
    } else if (lead < 0xF0) {
      len = 3;
      if (lead == 0xE0) lo = 0xA0;  // overlong
      if (lead == 0xED) hi = 0x9F;  // surrogates
    } else if (lead < 0xF5) {
      len = 4;
      if (lead == 0xF0) lo = 0x90;  // overlong
      if (lead == 0xF4) hi = 0x8F;  // over U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

#ifdef UVWS_UTF8_X86

namespace {

// The vector path classifies every pair of adjacent bytes (b1, b2) with three 16-entry
// lookups, on b1's high nibble, b1's low nibble and b2's high nibble. Each bit below names one
// kind of error; a bit survives the AND of the three lookups only when all three nibbles fit
// that error. Together they cover every rule of RFC 3629's table, except that of a third or
// fourth byte, which is checked from the bytes two and three positions back.
constexpr std::uint8_t too_short = 0x01;     // lead byte, then no continuation byte
constexpr std::uint8_t too_long = 0x02;      // ASCII byte, then a continuation byte
constexpr std::uint8_t overlong3 = 0x04;     // E0 80..9F
constexpr std::uint8_t surrogate = 0x08;     // ED A0..BF
constexpr std::uint8_t overlong2 = 0x10;     // C0 or C1, then a continuation byte
constexpr std::uint8_t too_large = 0x20;     // F4..FF 90..BF
constexpr std::uint8_t too_large_8x = 0x40;  // F5..FF 80..8F (shares its bit with:)
constexpr std::uint8_t overlong4 = 0x40;     // F0 80..8F
constexpr std::uint8_t two_conts = 0x80;     // continuation, then continuation
constexpr std::uint8_t any_nibble = too_short | too_long | two_conts;

// clang-format off
alignas(16) constexpr std::uint8_t by_b1_high[16] = {
    too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,  // 0-7
    two_conts, two_conts, two_conts, two_conts,                                       // 8-B
    too_short | overlong2,                                                            // C
    too_short,                                                                        // D
    too_short | overlong3 | surrogate,                                                // E
    too_short | too_large | too_large_8x | overlong4,                                 // F
};
alignas(16) constexpr std::uint8_t by_b1_low[16] = {
    any_nibble | overlong3 | overlong2 | overlong4,     // x0
    any_nibble | overlong2,                             // x1
    any_nibble, any_nibble,                             // x2, x3
    any_nibble | too_large,                             // x4
    any_nibble | too_large | too_large_8x,              // x5
    any_nibble | too_large | too_large_8x,              // x6
    any_nibble | too_large | too_large_8x,              // x7
    any_nibble | too_large | too_large_8x,              // x8
    any_nibble | too_large | too_large_8x,              // x9
    any_nibble | too_large | too_large_8x,              // xA
    any_nibble | too_large | too_large_8x,              // xB
    any_nibble | too_large | too_large_8x,              // xC
    any_nibble | too_large | too_large_8x | surrogate,  // xD
    any_nibble | too_large | too_large_8x,              // xE
    any_nibble | too_large | too_large_8x,              // xF
};
constexpr std::uint8_t cont_any = too_long | overlong2 | two_conts;
alignas(16) constexpr std::uint8_t by_b2_high[16] = {
    too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,  // 0-7
    cont_any | overlong3 | too_large_8x | overlong4,                                         // 8
    cont_any | overlong3 | too_large,                                                        // 9
    cont_any | surrogate | too_large,                                                        // A
    cont_any | surrogate | too_large,                                                        // B
    too_short, too_short, too_short, too_short,                                              // C-F
};
// A block whose last three bytes start a sequence longer than what is left of the block needs
// the next block: subtracting these with saturation leaves non-zero bytes exactly there.
alignas(32) constexpr std::uint8_t incomplete_max[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xF0 - 1, 0xE0 - 1, 0xC0 - 1,
};
// clang-format on

struct Avx2Checker {
  __m256i b1_high, b1_low, b2_high, nibble, third_min, fourth_min, top_bit, incomplete;
  __m256i prev;             // the previous block
  __m256i prev_incomplete;  // non-zero where the previous block ends inside a sequence
  __m256i error;            // non-zero once anything failed

  __attribute__((target("avx2"))) static __m256i table(const std::uint8_t* t) {
    return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
  }

  __attribute__((target("avx2"))) Avx2Checker() {
    b1_high = table(by_b1_high);
    b1_low = table(by_b1_low);
    b2_high = table(by_b2_high);
    nibble = _mm256_set1_epi8(0x0F);
    // Saturating subtraction of these leaves the top bit set exactly for bytes >= 0xE0 (which
    // make the byte two further on a continuation) and >= 0xF0 (three further).
    third_min = _mm256_set1_epi8(0xE0 - 0x80);
    fourth_min = _mm256_set1_epi8(0xF0 - 0x80);
    top_bit = _mm256_set1_epi8(static_cast<char>(-128));
    incomplete = _mm256_load_si256(reinterpret_cast<const __m256i*>(incomplete_max));
    prev = _mm256_setzero_si256();
    prev_incomplete = _mm256_setzero_si256();
    error = _mm256_setzero_si256();
  }

  // The block shifted right by n bytes, with the last n bytes of the previous one in front.
  // (alignr works per 128-bit lane, hence the lane swap first.)
  template <int N>
  __attribute__((target("avx2"))) __m256i shifted(__m256i in) const {
    return _mm256_alignr_epi8(in, _mm256_permute2x128_si256(prev, in, 0x21), 16 - N);
  }

  __attribute__((target("avx2"))) void check(__m256i in) {
    const __m256i prev1 = shifted<1>(in);
    const __m256i special = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(b1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble)),
            _mm256_shuffle_epi8(b1_low, _mm256_and_si256(prev1, nibble))),
        _mm256_shuffle_epi8(b2_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble)));
    // two_conts is an error unless the byte is the third or fourth of its sequence.
    const __m256i must_continue =
        _mm256_and_si256(_mm256_or_si256(_mm256_subs_epu8(shifted<2>(in), third_min),
                                         _mm256_subs_epu8(shifted<3>(in), fourth_min)),
                         top_bit);
    error = _mm256_or_si256(error, _mm256_xor_si256(special, must_continue));
    prev_incomplete = _mm256_subs_epu8(in, incomplete);
    prev = in;
  }

  // An ASCII block is valid by itself; it fails only if the previous block left a sequence
  // open.
  __attribute__((target("avx2"))) void check_ascii(__m256i in) {
    error = _mm256_or_si256(error, prev_incomplete);
    prev_incomplete = _mm256_setzero_si256();
    prev = in;
  }
};

}  // namespace

__attribute__((target("avx2"))) bool utf8_valid_avx2(const std::uint8_t* p, std::size_t n) {
  Avx2Checker c;
  std::size_t i = 0;
  for (; n - i >= 64; i += 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
      c.check_ascii(b);
    } else {
      c.check(a);
      c.check(b);
    }
  }
  for (; n - i >= 32; i += 32) {
    c.check(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
  }
  if (i < n && n >= 64) {
    // The tail: check the last 32 bytes again, after the 32 before them (checking a pair of
    // bytes twice is harmless). This avoids the store-to-load stall of a padded copy.
    c.prev = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + n - 64));
    c.check(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + n - 32)));
  } else if (i < n) {
    // A short input, padded with zeros (ASCII), which make an unfinished sequence too short.
    alignas(32) std::uint8_t last[32] = {};
    std::memcpy(last, p + i, n - i);
    c.check(_mm256_load_si256(reinterpret_cast<const __m256i*>(last)));
  }
  // The end of the input: a sequence must not be left open.
  c.check_ascii(_mm256_setzero_si256());
  return _mm256_testz_si256(c.error, c.error) != 0;
}

bool utf8_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") != 0;
  return has;
}

#else

bool utf8_valid_avx2(const std::uint8_t* p, std::size_t n) {
  return utf8_valid_scalar(p, n);
}
bool utf8_has_avx2() {
  return false;
}

#endif

}  // namespace detail

namespace {

using ValidFn = bool (*)(const std::uint8_t*, std::size_t);

// From this size the vector path takes the whole input; below it, only a non-ASCII rest of at
// least vector_short bytes (measured: below that the scalar path is faster).
constexpr std::size_t vector_min = 64;
constexpr std::size_t vector_short = 16;

bool valid_bulk(const std::uint8_t* p, std::size_t n) {
  static const ValidFn vector_fn =
      detail::utf8_has_avx2() ? &detail::utf8_valid_avx2 : &detail::utf8_valid_scalar;
  if (n >= vector_min) return vector_fn(p, n);
  // Short messages are mostly ASCII, which a word test clears fastest; what follows the ASCII
  // prefix starts a sequence, so it may be checked alone.
  std::size_t i = 0;
  while (n - i >= 8 && (load64(p + i) & high_bits) == 0) i += 8;
  while (i < n && p[i] < 0x80) ++i;
  return n - i >= vector_short ? vector_fn(p + i, n - i) : detail::utf8_valid_scalar(p + i, n - i);
}

}  // namespace

bool Utf8Validator::all_ascii(const std::uint8_t* p, std::size_t n) noexcept {
  // Word loads, the last one overlapping its predecessor, so that a 20-byte chunk costs four
  // loads; never a byte outside the chunk. (A byte loop left to the vectoriser spent most of
  // its instructions setting up a loop that ran once.)
  if (n >= 8) {
    std::uint64_t bits = load64(p + n - 8);
    for (std::size_t i = 0; i + 8 < n; i += 8) bits |= load64(p + i);
    return (bits & high_bits) == 0;
  }
  if (n >= 4) {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return ((head | tail) & static_cast<std::uint32_t>(high_bits)) == 0;
  }
  std::uint8_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) bits = static_cast<std::uint8_t>(bits | p[i]);
  return (bits & 0x80) == 0;
}

bool Utf8Validator::feed_chunk(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  const std::size_t n = bytes.size();
  std::uint8_t state = state_;
  std::size_t i = 0;
  // First finish a sequence that an earlier chunk began.
  for (; state != accept && state != reject && i < n; ++i) state = step(state, p[i]);
  if (state != accept || i == n) {
    state_ = state;
    return state != reject;
  }
  // Then the whole sequences, in bulk; then the last, perhaps unfinished, one.
  const std::size_t tail = i + last_sequence_start(p + i, n - i);
  if (!valid_bulk(p + i, tail - i)) {
    state_ = reject;
    return false;
  }
  for (i = tail; i < n && state != reject; ++i) state = step(state, p[i]);
  state_ = state;
  return state != reject;
}

bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
  return valid_bulk(bytes.data(), bytes.size());
}

}  // namespace uvws::core
