#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/utf8.h"

using uvws::core::is_valid_utf8;
using uvws::core::Utf8Validator;
namespace detail = uvws::core::detail;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// A reference written from the definition rather than from tables: decode each sequence's
// bits, and after every byte ask whether the code points still reachable by completing the
// sequence (an interval) meet the values its length may encode (RFC 3629 section 3) minus the
// surrogates. first_bad is the offset of the first byte after which no valid completion
// exists, or the size when there is none.
struct Reference {
  std::size_t first_bad;
  bool complete;
};

bool completable(std::uint32_t lo, std::uint32_t hi, int len) {
  static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
  static constexpr std::uint32_t max_cp[] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  const std::uint32_t a = std::max(lo, min_cp[len]);
  const std::uint32_t b = std::min(hi, max_cp[len]);
  if (a > b) return false;
  return !(a >= 0xD800 && b <= 0xDFFF);
}

Reference reference(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t lead = p[i];
    int len = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      len = 2;
      cp = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      cp = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      cp = lead & 0x07u;
    } else {
      return {i, false};
    }
    for (int k = 0; k < len; ++k) {
      const std::size_t at = i + static_cast<std::size_t>(k);
      if (k > 0) {
        if (at == n) return {n, false};
        if ((p[at] & 0xC0) != 0x80) return {at, false};
        cp = cp << 6 | (p[at] & 0x3Fu);
      }
      const int rest = 6 * (len - 1 - k);
      const std::uint32_t lo = cp << rest;
      const std::uint32_t hi = lo | ((1u << rest) - 1);
      if (!completable(lo, hi, len)) return {at, false};
    }
    i += static_cast<std::size_t>(len);
  }
  return {n, true};
}

Reference reference(const Bytes& b) {
  return reference(b.data(), b.size());
}

bool ref_valid(const Bytes& b) {
  const Reference r = reference(b);
  return r.first_bad == b.size() && r.complete;
}

// Feeds `b` in chunks ending at each offset of `cuts` (and at the end) and checks every
// answer: a chunk fails exactly when it holds the first invalid byte or comes after it.
void check_chunked(const Bytes& b, const std::vector<std::size_t>& cuts) {
  const Reference r = reference(b);
  Utf8Validator v;
  std::size_t from = 0;
  auto feed_to = [&](std::size_t to) {
    const bool expect = r.first_bad >= to;
    INFO("chunk [" << from << ", " << to << ") first_bad " << r.first_bad);
    REQUIRE(v.feed(std::span(b).subspan(from, to - from)) == expect);
    from = to;
  };
  for (std::size_t c : cuts) feed_to(c);
  feed_to(b.size());
  REQUIRE(v.complete() == (r.first_bad == b.size() && r.complete));
  REQUIRE(v.failed() == (r.first_bad < b.size()));
}

// Every path against the reference, whole and one byte at a time.
void check_all_paths(const Bytes& b) {
  const bool valid = ref_valid(b);
  INFO("size " << b.size());
  REQUIRE(detail::utf8_valid_scalar(b.data(), b.size()) == valid);
  if (detail::utf8_has_avx2()) REQUIRE(detail::utf8_valid_avx2(b.data(), b.size()) == valid);
  REQUIRE(is_valid_utf8(b) == valid);
  Utf8Validator v;
  REQUIRE(v.feed(b) == (reference(b).first_bad == b.size()));
  REQUIRE(v.complete() == valid);
}

void check_bytewise(const Bytes& b) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < b.size(); ++i) cuts.push_back(i);
  check_chunked(b, cuts);
}

// Boundary values of every byte class, for exhaustive tests over positions.
const Bytes edge_bytes = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                          0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                          0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};

// A random string of valid UTF-8 mixing 1- to 4-byte sequences (weights by `ascii_weight`).
Bytes random_text(std::mt19937& rng, std::size_t approx, int ascii_weight) {
  Bytes out;
  std::uniform_int_distribution<int> kind(0, ascii_weight + 2);
  while (out.size() < approx) {
    const int k = kind(rng);
    std::uint32_t cp;
    if (k <= ascii_weight - 1) {
      cp = std::uniform_int_distribution<std::uint32_t>(0, 0x7F)(rng);
    } else if (k == ascii_weight) {
      cp = std::uniform_int_distribution<std::uint32_t>(0x80, 0x7FF)(rng);
    } else if (k == ascii_weight + 1) {
      do {
        cp = std::uniform_int_distribution<std::uint32_t>(0x800, 0xFFFF)(rng);
      } while (cp >= 0xD800 && cp <= 0xDFFF);
    } else {
      cp = std::uniform_int_distribution<std::uint32_t>(0x10000, 0x10FFFF)(rng);
    }
    if (cp < 0x80) {
      out.push_back(static_cast<std::uint8_t>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<std::uint8_t>(0xC0 | cp >> 6));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<std::uint8_t>(0xE0 | cp >> 12));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<std::uint8_t>(0xF0 | cp >> 18));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp >> 12 & 0x3F)));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the reference decoder agrees with RFC 3629 examples", "[core][utf8]") {
  // RFC 3629 section 7 examples, and classic invalid forms.
  CHECK(ref_valid(bytes_of("\x41\xE2\x89\xA2\xCE\x91\x2E")));
  CHECK(ref_valid(bytes_of("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4")));
  CHECK(ref_valid(bytes_of("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E")));
  CHECK(ref_valid(bytes_of("\xEF\xBB\xBF\xF0\xA3\x8E\xB4")));
  CHECK(reference(bytes_of("\xC0\xAF")).first_bad == 0);
  CHECK(reference(bytes_of("\xE0\x80\xAF")).first_bad == 1);
  CHECK(reference(bytes_of("\xED\xA0\x80")).first_bad == 1);
  CHECK(reference(bytes_of("\xF4\x90\x80\x80")).first_bad == 1);
  CHECK(reference(bytes_of("\xF4\x8F\xBF\xBF")).first_bad == 4);
  CHECK(reference(bytes_of("\xF4\x8F\xBF")).first_bad == 3);
  CHECK_FALSE(reference(bytes_of("\xF4\x8F\xBF")).complete);
}

TEST_CASE("every 1- and 2-byte string is judged like the reference, at every position",
          "[core][utf8]") {
  for (unsigned a = 0; a < 256; ++a) {
    check_all_paths(Bytes{static_cast<std::uint8_t>(a)});
    check_bytewise(Bytes{static_cast<std::uint8_t>(a)});
  }
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const Bytes pair = {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)};
      check_all_paths(pair);
      check_bytewise(pair);
    }
  }
  // Inside longer ASCII text, the pair sits across 128-bit lanes and 32/64-byte blocks.
  for (std::size_t pos : {0u, 14u, 15u, 16u, 29u, 30u, 31u, 32u, 62u, 63u, 64u, 95u, 126u, 127u}) {
    for (unsigned a = 0x80; a < 256; ++a) {
      for (unsigned b = 0; b < 256; ++b) {
        Bytes text(pos + 2 + 70, 'a');
        text[pos] = static_cast<std::uint8_t>(a);
        text[pos + 1] = static_cast<std::uint8_t>(b);
        check_all_paths(text);
        text.resize(pos + 2);
        check_all_paths(text);
      }
    }
  }
}

TEST_CASE("every 3-byte string is judged like the reference", "[core][utf8]") {
  Bytes t(3);
  Bytes framed(96, ' ');
  Utf8Validator v;
  std::size_t valid_count = 0;
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (unsigned c = 0; c < 256; ++c) {
        t = {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b),
             static_cast<std::uint8_t>(c)};
        const Reference r = reference(t);
        const bool valid = r.first_bad == 3 && r.complete;
        valid_count += valid;
        if (detail::utf8_valid_scalar(t.data(), 3) != valid) FAIL("scalar " << a << b << c);
        // Byte by byte: each feed fails exactly from the first invalid byte on.
        v.reset();
        for (std::size_t i = 0; i < 3; ++i) {
          if (v.feed(std::span(t).subspan(i, 1)) != (r.first_bad > i)) FAIL("feed " << a << b << c);
        }
        if (v.complete() != valid) FAIL("complete " << a << ' ' << b << ' ' << c);
        if (detail::utf8_has_avx2()) {
          // Straddling the two 128-bit lanes, then the end of the first 32-byte block.
          for (std::size_t pos : {std::size_t{14}, std::size_t{30}}) {
            std::copy(t.begin(), t.end(), framed.begin() + static_cast<std::ptrdiff_t>(pos));
            if (detail::utf8_valid_avx2(framed.data(), framed.size()) != valid) {
              FAIL("avx2 at " << pos << ": " << a << ' ' << b << ' ' << c);
            }
            framed[pos] = framed[pos + 1] = framed[pos + 2] = ' ';
          }
          if (detail::utf8_valid_avx2(t.data(), 3) != valid) FAIL("avx2 " << a << b << c);
        }
      }
    }
  }
  // 128 ASCII triples... every valid 3-byte string: 128^3 + 2 * 128 * 1920 + 61440.
  REQUIRE(valid_count == 128u * 128 * 128 + 2 * 128 * 1920 + 61440);
}

TEST_CASE("4-byte strings are judged like the reference", "[core][utf8]") {
  SECTION("every lead F0..FF with continuation bytes, and with the edges of each class") {
    for (unsigned a = 0xF0; a < 0x100; ++a) {
      for (unsigned b = 0x80; b < 0xC0; ++b) {
        for (unsigned c = 0x80; c < 0xC0; ++c) {
          for (unsigned d : {0x00u, 0x7Fu, 0x80u, 0x9Fu, 0xA0u, 0xBFu, 0xC0u, 0xF4u}) {
            check_all_paths({static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b),
                             static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(d)});
          }
        }
      }
    }
  }
  SECTION("all 4-byte strings of class edges, one byte at a time") {
    for (auto a : edge_bytes)
      for (auto b : edge_bytes)
        for (auto c : edge_bytes)
          for (auto d : edge_bytes) check_bytewise({a, b, c, d});
  }
  SECTION("a large random sample") {
    std::mt19937 rng(4);
    std::uniform_int_distribution<unsigned> lead(0xE0, 0xFF);
    std::uniform_int_distribution<unsigned> any(0, 255);
    std::uniform_int_distribution<unsigned> cont(0x80, 0xBF);
    int checked = 0;
    for (int i = 0; i < 2000000; ++i) {
      // Mostly plausible sequences, so that the later bytes matter.
      Bytes t = {static_cast<std::uint8_t>(lead(rng)), static_cast<std::uint8_t>(cont(rng)),
                 static_cast<std::uint8_t>(cont(rng)), static_cast<std::uint8_t>(cont(rng))};
      t[any(rng) % 4] = static_cast<std::uint8_t>(any(rng));
      const bool valid = ref_valid(t);
      if (detail::utf8_valid_scalar(t.data(), 4) != valid) FAIL("scalar");
      if (detail::utf8_has_avx2() && detail::utf8_valid_avx2(t.data(), 4) != valid) FAIL("avx2");
      Utf8Validator v;
      if (v.feed(t) != (reference(t).first_bad == 4) || v.complete() != valid) FAIL("feed");
      ++checked;
    }
    REQUIRE(checked == 2000000);
  }
}

TEST_CASE("tricky inputs fail at the same byte whatever the chunk split", "[core][utf8]") {
  const std::vector<std::string> inputs = {
      "",
      "plain ASCII text that is long enough to cross a 32-byte block, and then a 64-byte one!",
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // kosme
      "\xF0\x9F\x98\x80 smile \xF0\x9F\x98\x80",       // U+1F600
      "\xF4\x8F\xBF\xBF",                              // U+10FFFF
      "\xF4\x90\x80\x80",                              // over U+10FFFF: fails at 0x90
      "\xED\x9F\xBF\xED\xA0\x80",                      // U+D7FF then a surrogate
      "\xEE\x80\x80\xEF\xBF\xBF",                      // U+E000, U+FFFF
      "\xE0\x9F\xBF",                                  // overlong 3-byte
      "\xF0\x8F\xBF\xBF",                              // overlong 4-byte
      "\xC0\x80",                                      // overlong NUL
      "\xC1\xBF",
      "\xF5\x80\x80\x80",
      "\xFF",
      "ab\x80"
      "cd",                // stray continuation
      "\xE2\x82\xAC\x80",  // one continuation too many
      "\xE2\x82"
      "A",             // sequence cut by ASCII
      "\xF0\x9F\x98",  // unfinished at the end
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",
      std::string(61, 'x') + "\xF0\x9F\x98\x80" + std::string(40, 'y') + "\xED\xBF\xBF",
      std::string(63, 'x') + "\xE2\x82\xAC" + std::string(64, 'y') + "\xE2\x82",
      std::string(31, 'x') + "\xC3" + std::string(64, 'y'),
  };
  for (const std::string& s : inputs) {
    const Bytes b = bytes_of(s);
    INFO("input " << s.size() << " bytes: " << s);
    check_all_paths(b);
    check_bytewise(b);
    for (std::size_t i = 0; i <= b.size(); ++i) {
      check_chunked(b, {i});
      for (std::size_t j = i; j <= b.size() && b.size() < 24; ++j) check_chunked(b, {i, j});
    }
  }
}

TEST_CASE("whole and cut sequences are judged right at every offset of ASCII text",
          "[core][utf8]") {
  const std::vector<std::string> sequences = {
      "\xC3\xA9",         "\xC3",         "\xE2\x82\xAC", "\xE2\x82",    "\xE2",
      "\xF0\x9F\x98\x80", "\xF0\x9F\x98", "\xF0\x9F",     "\xF0",        "\xF4\x8F\xBF\xBF",
      "\xED\x9F\xBF",     "\xED\xA0\x80", "\x80",         "\x80\x80\x80"};
  for (const std::string& seq : sequences) {
    for (std::size_t pos = 0; pos < 140; ++pos) {
      for (std::size_t after : {0u, 1u, 2u, 3u, 33u, 64u, 100u}) {
        const Bytes b = bytes_of(std::string(pos, 'x') + seq + std::string(after, 'y'));
        check_all_paths(b);
        check_chunked(b, {pos / 2});
      }
    }
  }
}

TEST_CASE("long random texts are judged like the reference, in random chunks", "[core][utf8]") {
  std::mt19937 rng(6455);
  for (int round = 0; round < 3000; ++round) {
    const int ascii_weight = round % 3 == 0 ? 40 : round % 3;
    Bytes b =
        random_text(rng, std::uniform_int_distribution<std::size_t>(0, 700)(rng), ascii_weight);
    if (round % 2 == 1 && !b.empty()) {
      // One random corruption: a random byte, or a dropped/duplicated one.
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng);
      switch (round % 6) {
        case 1:
          b[at] = static_cast<std::uint8_t>(rng());
          break;
        case 3:
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), b[at]);
          break;
      }
    } else {
      REQUIRE(ref_valid(b));
    }
    check_all_paths(b);
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += std::uniform_int_distribution<std::size_t>(0, 80)(rng);
      if (at >= b.size()) break;
      cuts.push_back(at);
    }
    check_chunked(b, cuts);
  }
}

TEST_CASE("a byte with its top bit set is seen at every position of a short chunk",
          "[core][utf8]") {
  // Short chunks are tested for ASCII inline, with overlapping word loads: every length up to
  // past the inline limit, every position, and a lone continuation byte (always invalid).
  for (std::size_t n = 1; n <= 80; ++n) {
    CHECK(Utf8Validator().feed(Bytes(n, 'a')));
    for (std::size_t pos = 0; pos < n; ++pos) {
      Bytes b(n, 'a');
      b[pos] = 0x80;
      Utf8Validator v;
      CHECK_FALSE(v.feed(b));
    }
  }
}

TEST_CASE("a failed validator stays failed until reset", "[core][utf8]") {
  Utf8Validator v;
  REQUIRE(v.complete());
  REQUIRE(v.feed(bytes_of("abc\xE2\x82")));
  REQUIRE_FALSE(v.complete());
  REQUIRE_FALSE(v.failed());
  REQUIRE_FALSE(v.feed(bytes_of("\xFF")));
  REQUIRE(v.failed());
  REQUIRE_FALSE(v.feed(bytes_of("abc")));
  REQUIRE_FALSE(v.feed({}));
  REQUIRE_FALSE(v.complete());
  v.reset();
  REQUIRE(v.feed(bytes_of("\xE2\x82\xAC")));
  REQUIRE(v.feed({}));
  REQUIRE(v.complete());
  static_assert(sizeof(Utf8Validator) <= 4);
}

TEST_CASE("a large multilingual text is valid, and invalid once any byte is corrupted",
          "[core][utf8]") {
  std::mt19937 rng(3629);
  const Bytes text = random_text(rng, std::size_t{1} << 16, 2);
  REQUIRE(is_valid_utf8(text));
  REQUIRE(detail::utf8_valid_scalar(text.data(), text.size()));
  for (int i = 0; i < 300; ++i) {
    Bytes bad = text;
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, bad.size() - 1)(rng);
    bad[at] = 0xFF;
    REQUIRE_FALSE(is_valid_utf8(bad));
    REQUIRE_FALSE(detail::utf8_valid_scalar(bad.data(), bad.size()));
    if (detail::utf8_has_avx2()) REQUIRE_FALSE(detail::utf8_valid_avx2(bad.data(), bad.size()));
    Utf8Validator v;
    REQUIRE_FALSE(v.feed(std::span(bad).first(at + 1)));
  }
}
