#include "histogram.h"

#include <bit>
#include <cmath>

namespace uvws::bench {

unsigned Histogram::index(std::uint64_t ns) {
  if (ns < linear) return static_cast<unsigned>(ns);
  // Keep the top sub_bits + 1 bits: `shift` drops the rest, and the leading 1 bit selects the
  // power of two.
  const unsigned shift = static_cast<unsigned>(std::bit_width(ns)) - (sub_bits + 1);
  const unsigned mantissa = static_cast<unsigned>(ns >> shift) - (1u << sub_bits);
  const unsigned i = linear + (shift - 1) * (1u << sub_bits) + mantissa;
  return i < buckets ? i : buckets - 1;
}

std::uint64_t Histogram::bucket_low(unsigned i) {
  if (i < linear) return i;
  const unsigned shift = (i - linear) / (1u << sub_bits) + 1;
  const std::uint64_t mantissa = (i - linear) % (1u << sub_bits) + (1u << sub_bits);
  return mantissa << shift;
}

std::uint64_t Histogram::quantile(double q) const {
  if (total_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      if (i < linear) return i;
      const std::uint64_t low = bucket_low(i);
      const std::uint64_t width = bucket_low(i + 1) - low;
      const std::uint64_t mid = low + width / 2;
      return mid < max_ ? mid : max_;
    }
  }
  return max_;
}

}  // namespace uvws::bench
