#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/stream_reader.h"

using uvws::core::StreamReader;
using Status = StreamReader::Line::Status;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string str(std::span<const std::uint8_t> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

// A caller's read buffer, as the loop's shared buffer: lent, then overwritten after reclaim().
struct Loan {
  std::vector<std::uint8_t> buf;
  explicit Loan(std::string_view s) : buf(s.begin(), s.end()) {}
  std::span<std::uint8_t> span() { return buf; }
  bool owns(const std::uint8_t* p) const { return p >= buf.data() && p < buf.data() + buf.size(); }
  void scribble() { std::fill(buf.begin(), buf.end(), '#'); }
};

}  // namespace

TEST_CASE("read_exact returns exactly n bytes or nothing", "[core][stream_reader]") {
  StreamReader r;
  REQUIRE(r.available() == 0);
  REQUIRE_FALSE(r.read_exact(1));
  REQUIRE(r.read_exact(0));
  r.feed_data(bytes("abc"));
  REQUIRE_FALSE(r.read_exact(4));
  REQUIRE(r.available() == 3);
  r.feed_data(bytes("def"));
  auto got = r.read_exact(4);
  REQUIRE(got);
  REQUIRE(str(*got) == "abcd");
  REQUIRE(r.available() == 2);
  REQUIRE(str(*r.read_exact(2)) == "ef");
  REQUIRE(r.available() == 0);
}

TEST_CASE("lent bytes are read in place without a copy", "[core][stream_reader]") {
  StreamReader r;
  Loan loan("0123456789");
  r.lend(loan.span());
  auto a = r.read_exact(4);
  REQUIRE(a);
  REQUIRE(a->data() == loan.buf.data());
  REQUIRE(str(*a) == "0123");
  // Spans are mutable: the parser unmasks in place.
  (*a)[0] = 'X';
  REQUIRE(loan.buf[0] == 'X');
  auto b = r.read_some(100);
  REQUIRE(b.data() == loan.buf.data() + 4);
  REQUIRE(str(b) == "456789");
  r.reclaim();
  REQUIRE(r.available() == 0);
}

TEST_CASE("reclaim keeps the unread tail after the lender reuses its buffer",
          "[core][stream_reader]") {
  StreamReader r;
  Loan loan("frame-1|frame-2-partial");
  r.lend(loan.span());
  REQUIRE(str(*r.read_exact(8)) == "frame-1|");
  r.reclaim();
  loan.scribble();
  REQUIRE(r.available() == 15);
  Loan next("-rest|");
  r.lend(next.span());
  auto whole = r.read_exact(21);
  REQUIRE(whole);
  REQUIRE(str(*whole) == "frame-2-partial-rest|");
  REQUIRE_FALSE(next.owns(whole->data()));
  r.reclaim();
  next.scribble();
  REQUIRE(r.available() == 0);
}

TEST_CASE("a read spanning kept and lent bytes joins them, and later reads use the loan",
          "[core][stream_reader]") {
  StreamReader r;
  r.feed_data(bytes("abc"));
  Loan loan("defghijkl");
  r.lend(loan.span());
  REQUIRE(r.available() == 12);
  auto p = r.peek(5);
  REQUIRE(p);
  REQUIRE(str(*p) == "abcde");
  REQUIRE(r.available() == 12);
  auto a = r.read_exact(5);
  REQUIRE(str(*a) == "abcde");
  auto b = r.read_exact(3);
  REQUIRE(str(*b) == "fgh");
  REQUIRE(loan.owns(b->data()));
  REQUIRE_FALSE(r.read_exact(5));
  REQUIRE(r.available() == 4);
  r.reclaim();
  loan.scribble();
  REQUIRE(str(*r.read_exact(4)) == "ijkl");
}

TEST_CASE("read_some returns kept bytes first, at most max", "[core][stream_reader]") {
  StreamReader r;
  REQUIRE(r.read_some(10).empty());
  r.feed_data(bytes("ab"));
  Loan loan("cdef");
  r.lend(loan.span());
  REQUIRE(str(r.read_some(1)) == "a");
  REQUIRE(str(r.read_some(10)) == "b");
  REQUIRE(str(r.read_some(3)) == "cde");
  REQUIRE(str(r.read_some(3)) == "f");
  REQUIRE(r.read_some(3).empty());
  r.reclaim();
}

TEST_CASE("read_line finds lines within the limit", "[core][stream_reader]") {
  StreamReader r;
  SECTION("need_more, then ok, with the newline included") {
    r.feed_data(bytes("GET / HTTP/1.1\r"));
    REQUIRE(r.read_line(100).status == Status::need_more);
    r.feed_data(bytes("\nHost: x\r\n"));
    auto l = r.read_line(100);
    REQUIRE(l.status == Status::ok);
    REQUIRE(str(l.bytes) == "GET / HTTP/1.1\r\n");
    l = r.read_line(100);
    REQUIRE(str(l.bytes) == "Host: x\r\n");
    REQUIRE(r.read_line(100).status == Status::need_more);
  }
  SECTION("the limit counts the newline") {
    r.feed_data(bytes("abcd\n"));
    REQUIRE(r.read_line(4).status == Status::too_long);
    REQUIRE(r.available() == 5);
    auto l = r.read_line(5);
    REQUIRE(l.status == Status::ok);
    REQUIRE(str(l.bytes) == "abcd\n");
  }
  SECTION("too_long as soon as limit bytes hold no newline, need_more before") {
    r.feed_data(bytes("abc"));
    REQUIRE(r.read_line(4).status == Status::need_more);
    r.feed_data(bytes("d"));
    REQUIRE(r.read_line(4).status == Status::too_long);
    REQUIRE(r.read_line(0).status == Status::too_long);
  }
  SECTION("eof before a whole line") {
    r.feed_data(bytes("partial"));
    r.feed_eof();
    REQUIRE(r.read_line(100).status == Status::eof);
    REQUIRE_FALSE(r.at_eof());
    REQUIRE(r.eof_received());
  }
  SECTION("eof after whole lines still yields them") {
    r.feed_data(bytes("one\ntwo\n"));
    r.feed_eof();
    REQUIRE(str(r.read_line(10).bytes) == "one\n");
    REQUIRE(str(r.read_line(10).bytes) == "two\n");
    REQUIRE(r.at_eof());
    REQUIRE(r.read_line(10).status == Status::eof);
  }
  SECTION("a line across kept and lent bytes, and one inside the loan") {
    r.feed_data(bytes("Upgrade: web"));
    Loan loan("socket\r\nConnection: Upgrade\r\n\r\n");
    r.lend(loan.span());
    REQUIRE(r.read_line(12).status == Status::too_long);
    auto l = r.read_line(100);
    REQUIRE(str(l.bytes) == "Upgrade: websocket\r\n");
    l = r.read_line(100);
    REQUIRE(str(l.bytes) == "Connection: Upgrade\r\n");
    REQUIRE(loan.owns(l.bytes.data()));
    REQUIRE(str(r.read_line(2).bytes) == "\r\n");
    REQUIRE(r.read_line(100).status == Status::need_more);
    r.reclaim();
  }
  SECTION("the newline may be the first lent byte") {
    r.feed_data(bytes("abc"));
    Loan loan("\nz");
    r.lend(loan.span());
    REQUIRE(r.read_line(3).status == Status::too_long);
    REQUIRE(str(r.read_line(4).bytes) == "abc\n");
    r.reclaim();
    loan.scribble();
    REQUIRE(str(*r.read_exact(1)) == "z");
  }
}

TEST_CASE("read_to_eof waits for eof and honours its limit", "[core][stream_reader]") {
  StreamReader r;
  r.feed_data(bytes("body"));
  REQUIRE(r.read_to_eof(10).status == Status::need_more);
  REQUIRE(r.read_to_eof(3).status == Status::too_long);
  Loan loan("-tail");
  r.lend(loan.span());
  r.feed_eof();
  auto all = r.read_to_eof(9);
  REQUIRE(all.status == Status::ok);
  REQUIRE(str(all.bytes) == "body-tail");
  REQUIRE(r.at_eof());
  auto none = r.read_to_eof(0);
  REQUIRE(none.status == Status::ok);
  REQUIRE(none.bytes.empty());
  r.reclaim();
}

TEST_CASE("discard drops kept and lent bytes", "[core][stream_reader]") {
  StreamReader r;
  r.feed_data(bytes("kept"));
  Loan loan("lent");
  r.lend(loan.span());
  r.discard();
  REQUIRE(r.available() == 0);
  REQUIRE_FALSE(r.read_exact(1));
  r.reclaim();
  REQUIRE(r.available() == 0);
  r.feed_data(bytes("new"));
  REQUIRE(str(*r.read_exact(3)) == "new");
}

TEST_CASE("lines split at every point, fed or lent, read the same", "[core][stream_reader]") {
  using namespace std::string_view_literals;
  const std::string_view input = "GET /chat HTTP/1.1\r\nHost: a\r\n\r\nbinary\x00\x01tail"sv;
  const std::vector<std::string> want_lines = {"GET /chat HTTP/1.1\r\n", "Host: a\r\n", "\r\n"};
  const bool lend = GENERATE(false, true);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      StreamReader r;
      std::vector<std::string> lines;
      std::string rest;
      const std::size_t cuts[] = {i, j, input.size()};
      std::size_t from = 0;
      for (std::size_t to : cuts) {
        Loan loan(input.substr(from, to - from));
        if (lend) {
          r.lend(loan.span());
        } else {
          r.feed_data(loan.buf);
        }
        from = to;
        while (lines.size() < want_lines.size()) {
          auto l = r.read_line(64);
          REQUIRE(l.status != Status::too_long);
          if (l.status != Status::ok) break;
          lines.push_back(str(l.bytes));
        }
        if (lines.size() == want_lines.size()) rest += str(r.read_some(input.size()));
        r.reclaim();
        loan.scribble();
      }
      rest += str(r.read_some(input.size()));
      REQUIRE(lines == want_lines);
      REQUIRE(rest == "binary\x00\x01tail"sv);
    }
  }
}

TEST_CASE("random feeds, loans and reads match a string model", "[core][stream_reader]") {
  std::mt19937 rng(6455);
  auto pick = [&](std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(0, hi)(rng);
  };
  for (int round = 0; round < 200; ++round) {
    StreamReader r;
    std::string model;  // every byte available, in order
    std::unique_ptr<Loan> loan;
    for (int step = 0; step < 500; ++step) {
      const std::size_t op = pick(8);
      if (op == 0 && !loan) {
        std::string s(pick(40), '\0');
        for (char& c : s) c = "ab\n"[pick(2)];
        r.feed_data(bytes(s));
        model += s;
      } else if (op == 1 && !loan) {
        std::string s(pick(120), '\0');
        for (char& c : s) c = "xy\n"[pick(2)];
        loan = std::make_unique<Loan>(s);
        r.lend(loan->span());
        model += s;
      } else if (op == 2 && loan) {
        r.reclaim();
        loan->scribble();
        loan.reset();
      } else if (op == 3) {
        const std::size_t n = pick(60);
        auto got = r.read_exact(n);
        REQUIRE(got.has_value() == (n <= model.size()));
        if (got) {
          REQUIRE(str(*got) == model.substr(0, n));
          model.erase(0, n);
        }
      } else if (op == 4) {
        const std::size_t n = pick(60);
        auto got = r.read_some(n);
        REQUIRE(got.size() <= n);
        REQUIRE((got.empty() == (n == 0 || model.empty())));
        REQUIRE(str(got) == model.substr(0, got.size()));
        model.erase(0, got.size());
      } else if (op == 5) {
        const std::size_t n = pick(60);
        auto got = r.peek(n);
        REQUIRE(got.has_value() == (n <= model.size()));
        if (got) REQUIRE(str(*got) == model.substr(0, n));
      } else if (op == 6 || op == 7) {
        const std::size_t limit = pick(50);
        const auto l = r.read_line(limit);
        const std::size_t nl = model.find('\n');
        if (nl != std::string::npos && nl < limit) {
          REQUIRE(l.status == Status::ok);
          REQUIRE(str(l.bytes) == model.substr(0, nl + 1));
          model.erase(0, nl + 1);
        } else if (model.size() >= limit) {
          REQUIRE(l.status == Status::too_long);
        } else {
          REQUIRE(l.status == Status::need_more);
        }
      } else if (op == 8 && pick(30) == 0) {
        r.discard();
        model.clear();
      }
      REQUIRE(r.available() == model.size());
    }
    r.feed_eof();
    auto all = r.read_to_eof(model.size());
    REQUIRE(all.status == Status::ok);
    REQUIRE(str(all.bytes) == model);
    REQUIRE(r.at_eof());
    r.reclaim();
  }
}
