#include "uvws/core/stream_reader.h"

#include <cassert>
#include <cstring>
#include <stdexcept>

namespace uvws::core {

void StreamReader::feed_data(std::span<const std::uint8_t> data) {
  assert(lent_ == nullptr);
  own_.append(data);
}

void StreamReader::lend(std::span<std::uint8_t> data) {
  assert(lent_ == nullptr);
  if (data.size() > Buffer::max_size) throw std::length_error("StreamReader::lend: over 4 GiB");
  lent_ = data.data();
  lent_size_ = static_cast<std::uint32_t>(data.size());
  lent_pos_ = 0;
}

void StreamReader::reclaim() {
  if (lent_ != nullptr) {
    own_.append(lent_rest());
    lent_ = nullptr;
    lent_size_ = lent_pos_ = 0;
  }
  if (own_.empty() && own_.capacity() != 0) own_.release();
}

void StreamReader::discard() {
  own_.release();
  lent_pos_ = lent_size_;
}

std::optional<std::span<std::uint8_t>> StreamReader::gather(std::size_t n) {
  if (available() < n) return std::nullopt;
  if (own_.empty()) return lent_rest().first(n);
  if (own_.size() < n) {
    // Kept bytes come first: top them up from the loan so the n bytes are contiguous.
    const std::size_t take = n - own_.size();
    own_.append(lent_ + lent_pos_, take);
    lent_pos_ += static_cast<std::uint32_t>(take);
    // Those bytes now live in own_; consume() must not count them twice.
  }
  return std::span<std::uint8_t>(own_.data(), n);
}

void StreamReader::consume(std::size_t n) {
  if (!own_.empty()) {
    assert(n <= own_.size());
    own_.consume(n);
    return;
  }
  lent_pos_ += static_cast<std::uint32_t>(n);
}

std::optional<std::span<std::uint8_t>> StreamReader::read_exact(std::size_t n) {
  auto bytes = gather(n);
  if (bytes) consume(n);
  return bytes;
}

std::span<std::uint8_t> StreamReader::read_some(std::size_t max) {
  std::span<std::uint8_t> out;
  if (!own_.empty()) {
    out = own_.span().first(std::min(max, own_.size()));
    own_.consume(out.size());
  } else {
    out = lent_rest().first(std::min<std::size_t>(max, lent_size_ - lent_pos_));
    lent_pos_ += static_cast<std::uint32_t>(out.size());
  }
  return out;
}

StreamReader::Line StreamReader::read_line(std::size_t limit) {
  // Search the kept bytes, then the lent ones, for "\n" within the limit.
  const std::size_t avail = available();
  const std::size_t window = std::min(avail, limit);
  std::size_t found = window;  // index of "\n" within the available bytes
  const std::size_t in_own = std::min(own_.size(), window);
  // memchr must not be given a null pointer, even for 0 bytes: an empty own_ may have none.
  const void* p = in_own > 0 ? std::memchr(own_.data(), '\n', in_own) : nullptr;
  if (p != nullptr) {
    found = static_cast<std::size_t>(static_cast<const std::uint8_t*>(p) - own_.data());
  } else if (window > in_own) {
    if (const void* q = std::memchr(lent_ + lent_pos_, '\n', window - in_own)) {
      found = in_own +
              static_cast<std::size_t>(static_cast<const std::uint8_t*>(q) - (lent_ + lent_pos_));
    }
  }
  if (found == window) {
    if (avail >= limit) return {Line::Status::too_long, {}};
    if (eof_) return {Line::Status::eof, {}};
    return {Line::Status::need_more, {}};
  }
  auto line = gather(found + 1);
  consume(found + 1);
  return {Line::Status::ok, *line};
}

StreamReader::Line StreamReader::read_to_eof(std::size_t limit) {
  if (available() > limit) return {Line::Status::too_long, {}};
  if (!eof_) return {Line::Status::need_more, {}};
  const std::size_t n = available();
  auto all = gather(n);
  consume(n);
  return {Line::Status::ok, all ? *all : std::span<std::uint8_t>{}};
}

}  // namespace uvws::core
