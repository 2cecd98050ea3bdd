// Histogram: a log-linear histogram of latencies in nanoseconds, for percentiles.
//
// Values below 128 ns have a bucket each; above, every power of two is split into 64 buckets,
// so a reported percentile is within 1/64 (1.6 %) of the true value. Values past about 2.4
// hours (2^43 ns) land in the last bucket. Fixed size (about 19 KB), no allocation after
// construction. Owned by one thread; not synchronized.
#pragma once

#include <array>
#include <cstdint>

namespace uvws::bench {

class Histogram {
 public:
  void record(std::uint64_t ns) {
    ++counts_[index(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
  }
  void clear() {
    counts_.fill(0);
    total_ = 0;
    max_ = 0;
  }
  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }
  // The value at quantile q (0 < q <= 1): the middle of the bucket holding the
  // ceil(q * count())-th smallest value; 0 when empty.
  std::uint64_t quantile(double q) const;

 private:
  static constexpr unsigned sub_bits = 6;             // 64 buckets per power of two
  static constexpr unsigned linear = 2u << sub_bits;  // values below this: one bucket each
  static constexpr unsigned buckets = linear + 36 * (1u << sub_bits);

  static unsigned index(std::uint64_t ns);
  static std::uint64_t bucket_low(unsigned i);

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace uvws::bench
