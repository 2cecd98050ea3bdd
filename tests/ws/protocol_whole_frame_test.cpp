// The receive loop's fast path for a frame whose header and payload arrived together must be
// invisible: fed whole (where most frames take it) a stream gives the same events, the same
// output and the same end state as fed one byte at a time (where no frame can take it, so
// every frame goes through the general header reader). The streams are random frames around
// every rule the fast path checks (RFC 6455 5.2 reserved bits, opcodes, the mask bit, lengths
// and their minimal form, max_frame_size and max_message_size, continuations, control frames,
// UTF-8), for both roles and several option sets.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

// A frame with the length written in `form`: 0 the shortest, 16 or 64 that many bits (not
// minimal for short payloads). With `masked`, the payload is masked with rfc_key.
Bytes encode(std::uint8_t b0, std::string_view payload, bool masked, int form) {
  const Bytes shortest = frame(b0, payload, masked);
  if (form == 0) return shortest;
  const std::size_t n = payload.size();
  const std::size_t extended = n < 126 ? 0 : n <= 0xFFFF ? 2 : 8;
  const std::size_t width = form == 16 && n <= 0xFFFF ? 2 : 8;
  Bytes out = shortest.substr(0, 1);
  out.push_back(static_cast<char>((shortest[1] & 0x80) | (width == 2 ? 126 : 127)));
  for (std::size_t i = width; i-- > 0;) out.push_back(static_cast<char>(n >> (8 * i)));
  return out + shortest.substr(2 + extended);
}

// A payload of `n` bytes: ASCII, or with a valid two-byte sequence, an invalid byte or a cut
// sequence somewhere in it.
Bytes payload_of(std::minstd_rand& rng, std::size_t n) {
  Bytes p(n, 'a');
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>('a' + rng() % 26);
  if (n >= 2 && rng() % 3 == 0) {
    const std::size_t at = rng() % (n - 1);
    switch (rng() % 4) {
      case 0:  // "é"
        p[at] = static_cast<char>(0xC3);
        p[at + 1] = static_cast<char>(0xA9);
        break;
      case 1:
        p[at] = static_cast<char>(0xFF);
        break;
      case 2:  // a lead byte with no continuation
        p[at] = static_cast<char>(0xE2);
        break;
      default:  // a lone continuation byte
        p[at] = static_cast<char>(0x80);
        break;
    }
  }
  return p;
}

// A stream of random frames, mostly valid whole text and binary frames (the fast path's case)
// and now and then one that breaks or bends a rule.
Bytes random_stream(std::minstd_rand& rng, bool masked) {
  static constexpr std::uint8_t firsts[] = {0x81, 0x81, 0x82, 0x82, 0x81, 0x82, 0x01, 0x02, 0x00,
                                            0x80, 0x89, 0x8A, 0xC1, 0xA2, 0x91, 0x83, 0x09, 0x88};
  static constexpr std::size_t sizes[] = {0, 1, 3, 8, 20, 21, 63, 64, 65, 125, 126, 127, 200, 300};
  Bytes out;
  const std::size_t frames = 1 + rng() % 10;
  for (std::size_t i = 0; i < frames; ++i) {
    std::uint8_t b0 = firsts[rng() % std::size(firsts)];
    std::size_t n = sizes[rng() % std::size(sizes)];
    if (b0 == 0x88) {
      b0 = 0x89;  // a close frame would end the stream early: ping instead
      n = std::min<std::size_t>(n, 125);
    }
    const int form = rng() % 8 == 0 ? (rng() % 2 == 0 ? 16 : 64) : 0;
    const bool wrong_mask = rng() % 20 == 0;
    out += encode(b0, payload_of(rng, n), masked != wrong_mask, form);
  }
  return out;
}

template <typename Options>
Options random_options(std::minstd_rand& rng) {
  Options o;
  o.strict_lengths = rng() % 4 != 0;
  o.frame_mode = rng() % 4 == 0;
  static constexpr std::size_t limits[] = {16u << 20, 16u << 20, 20, 21, 125, 126, 200};
  o.max_frame_size = limits[rng() % std::size(limits)];
  o.max_message_size = limits[rng() % std::size(limits)];
  return o;
}

// What an endpoint did with its input.
struct Outcome {
  std::vector<std::string> events;
  Bytes output;
  State state;
  std::uint16_t sent;
  std::uint16_t received;
};

Outcome outcome(Endpoint& e) {
  return {e.events(), e.output(), e.p->state(), e.p->close_code_sent(), e.p->close_code_received()};
}

void check_same(const Outcome& got, const Outcome& reference) {
  CHECK(got.events == reference.events);
  CHECK(hex(got.output) == hex(reference.output));
  CHECK(got.state == reference.state);
  CHECK(got.sent == reference.sent);
  CHECK(got.received == reference.received);
}

// Feeds 300 random streams to a fresh `Fixture` each time, cut by `split` and byte by byte.
template <typename Fixture>
void check_random_streams(Split split, bool masked) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::minstd_rand rng(masked ? seed : seed * 7919u);
    const auto options = random_options<decltype(Fixture::options)>(rng);
    const Bytes input = random_stream(rng, masked);
    CAPTURE(split, seed, hex(input.substr(0, 64)));
    Fixture reference(options);
    feed(reference, input, Split{1, false});
    Fixture e(options);
    feed(e, input, split);
    check_same(outcome(e), outcome(reference));
  }
}

}  // namespace

TEST_CASE("a server's events do not depend on whether frames arrive whole", "[ws][parser]") {
  const Split split = GENERATE(Split{0, false}, Split{0, true}, Split{Split::random_chunks, true},
                               Split{Split::random_chunks, false}, Split{7, true});
  check_random_streams<Server>(split, true);
}

TEST_CASE("a client's events do not depend on whether frames arrive whole", "[ws][parser]") {
  const Split split = GENERATE(Split{0, false}, Split{0, true}, Split{Split::random_chunks, true});
  check_random_streams<Client>(split, false);
}

TEST_CASE("whole frames at the size limits are delivered up to the limit and refused past it",
          "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const bool frame_limit = GENERATE(true, false);
  CAPTURE(split, frame_limit);
  ServerProtocolOptions o;
  (frame_limit ? o.max_frame_size : o.max_message_size) = 126;
  Server s(o);
  const Bytes at_limit(126, 'x');
  feed(s, client_frame(0x82, at_limit) + client_frame(0x82, at_limit + "y"), split);
  check_failed(s, frame_limit ? Error::frame_too_big : Error::message_too_big, close_code::too_big,
               {"binary " + describe_payload(at_limit)});
}

TEST_CASE("a whole text frame with one non-ASCII byte anywhere is refused", "[ws][parser]") {
  const std::size_t size = GENERATE(1u, 7u, 8u, 9u, 20u, 63u, 64u, 65u, 130u);
  for (std::size_t at = 0; at < size; ++at) {
    CAPTURE(size, at);
    Server s;
    Bytes text(size, 'a');
    text[at] = static_cast<char>(0x80);
    feed(s, client_frame(0x81, "ok") + client_frame(0x81, text), Split{0, true});
    check_failed(s, Error::bad_utf8, close_code::invalid_payload, {"text ok"});
  }
}
