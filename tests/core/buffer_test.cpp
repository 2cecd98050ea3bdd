#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include "uvws/core/buffer.h"

using uvws::core::Buffer;

namespace {
std::string contents(const Buffer& b) {
  return std::string(b.view());
}
}  // namespace

TEST_CASE("a new buffer is empty and holds no memory", "[core][buffer]") {
  Buffer b;
  REQUIRE(b.empty());
  REQUIRE(b.size() == 0);
  REQUIRE(b.capacity() == 0);
  REQUIRE(b.view().empty());
  REQUIRE(b.span().empty());
  b.append("", 0);
  REQUIRE(b.capacity() == 0);
}

TEST_CASE("appended bytes are read back in order and consumed from the front", "[core][buffer]") {
  Buffer b;
  b.append(std::string_view("hello "));
  const std::uint8_t w[] = {'w', 'o', 'r'};
  b.append(std::span<const std::uint8_t>(w));
  b.push_back('l');
  b.append("d!", 2);
  REQUIRE(contents(b) == "hello world!");
  b.consume(6);
  REQUIRE(contents(b) == "world!");
  REQUIRE(b.size() == 6);
  b.consume(6);
  REQUIRE(b.empty());
  REQUIRE(b.capacity() > 0);
}

TEST_CASE("prepare gives room and commit keeps only what was written", "[core][buffer]") {
  Buffer b;
  b.append(std::string_view("ab"));
  std::uint8_t* room = b.prepare(100);
  REQUIRE(b.capacity() >= 102);
  room[0] = 'c';
  room[1] = 'd';
  b.commit(2);
  REQUIRE(contents(b) == "abcd");
  // Asking for no room changes nothing.
  const std::size_t cap = b.capacity();
  b.prepare(0);
  REQUIRE(b.capacity() == cap);
  REQUIRE(contents(b) == "abcd");
}

TEST_CASE("appending after consuming reuses the consumed room before growing", "[core][buffer]") {
  Buffer b;
  b.reserve(64);
  REQUIRE(b.capacity() == 64);
  b.append(std::string(60, 'x'));
  b.consume(50);  // 10 kept, 50 consumed: compacting is cheap
  b.append(std::string(40, 'y'));
  REQUIRE(b.capacity() == 64);
  REQUIRE(contents(b) == std::string(10, 'x') + std::string(40, 'y'));
}

TEST_CASE("the buffer grows geometrically", "[core][buffer]") {
  Buffer b;
  std::size_t growths = 0;
  std::size_t cap = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    b.push_back(static_cast<std::uint8_t>(i));
    if (b.capacity() != cap) {
      ++growths;
      cap = b.capacity();
    }
  }
  REQUIRE(b.size() == 1'000'000);
  REQUIRE(growths < 20);
  REQUIRE(b.capacity() < 2 * b.size() + 256);
  for (std::size_t i = 0; i < b.size(); i += 9973) {
    REQUIRE(b.data()[i] == static_cast<std::uint8_t>(i));
  }
}

TEST_CASE("clear keeps the memory and release frees it", "[core][buffer]") {
  Buffer b;
  b.append(std::string_view("data"));
  b.clear();
  REQUIRE(b.empty());
  REQUIRE(b.capacity() > 0);
  b.append(std::string_view("more"));
  REQUIRE(contents(b) == "more");
  b.release();
  REQUIRE(b.empty());
  REQUIRE(b.capacity() == 0);
  b.append(std::string_view("again"));
  REQUIRE(contents(b) == "again");
}

TEST_CASE("reserve never shrinks and keeps the bytes", "[core][buffer]") {
  Buffer b;
  b.append(std::string_view("0123456789"));
  b.consume(3);
  b.reserve(1000);
  REQUIRE(b.capacity() == 1000);
  REQUIRE(contents(b) == "3456789");
  b.reserve(10);
  REQUIRE(b.capacity() == 1000);
  REQUIRE(contents(b) == "3456789");
}

TEST_CASE("a moved-from buffer is empty and the target owns the bytes", "[core][buffer]") {
  Buffer a;
  a.append(std::string_view("payload"));
  a.consume(3);
  const std::uint8_t* p = a.data();
  Buffer b(std::move(a));
  REQUIRE(contents(b) == "load");
  REQUIRE(b.data() == p);
  REQUIRE(a.empty());  // NOLINT(bugprone-use-after-move): the state is specified
  REQUIRE(a.capacity() == 0);

  Buffer c;
  c.append(std::string_view("old contents are freed"));
  c = std::move(b);
  REQUIRE(contents(c) == "load");
  REQUIRE(b.capacity() == 0);

  Buffer& alias = c;
  c = std::move(alias);
  REQUIRE(contents(c) == "load");

  // A moved-from buffer is usable again.
  a.append(std::string_view("reused"));
  REQUIRE(contents(a) == "reused");
}

TEST_CASE("sizes over 4 GiB - 1 are refused before allocating", "[core][buffer]") {
  Buffer b;
  REQUIRE_THROWS_AS(b.reserve(Buffer::max_size + 1), std::length_error);
  REQUIRE_THROWS_AS(b.prepare(Buffer::max_size + 1), std::length_error);
  b.append(std::string_view("abc"));
  REQUIRE_THROWS_AS(b.prepare(Buffer::max_size - 2), std::length_error);
  REQUIRE_THROWS_AS(b.append(b.data(), Buffer::max_size - 2), std::length_error);
  // Nothing changed.
  REQUIRE(contents(b) == "abc");
}

TEST_CASE("random appends and consumes match a string model", "[core][buffer]") {
  std::mt19937 rng(1);
  Buffer b;
  std::string model;
  auto pick = [&](std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(0, hi)(rng);
  };
  for (int step = 0; step < 200'000; ++step) {
    switch (pick(9)) {
      case 0:
      case 1:
      case 2: {
        std::string s(pick(step % 100 == 0 ? 5000 : 300), '\0');
        for (char& c : s) c = static_cast<char>(rng());
        b.append(std::string_view(s));
        model += s;
        break;
      }
      case 3:
      case 4:
      case 5: {
        const std::size_t n = pick(model.size());
        b.consume(n);
        model.erase(0, n);
        break;
      }
      case 6: {
        const std::size_t want = pick(200);
        const std::size_t wrote = pick(want);
        std::uint8_t* p = b.prepare(want);
        for (std::size_t i = 0; i < wrote; ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
        b.commit(wrote);
        for (std::size_t i = 0; i < wrote; ++i) model += static_cast<char>('a' + i % 26);
        break;
      }
      case 7: {
        const auto c = static_cast<std::uint8_t>(rng());
        b.push_back(c);
        model += static_cast<char>(c);
        break;
      }
      case 8:
        if (pick(50) == 0) {
          b.release();
          model.clear();
        } else if (pick(50) == 0) {
          b.clear();
          model.clear();
        }
        break;
      default:
        b.reserve(pick(4000));
        break;
    }
    REQUIRE(b.size() == model.size());
    REQUIRE(b.capacity() >= b.size());
    if (step % 64 == 0 || b.size() < 64) REQUIRE(b.view() == model);
  }
  REQUIRE(b.view() == model);
}
