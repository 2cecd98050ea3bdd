// The Redis bridge's private units, without Redis: the URL forms and the envelope.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "redis_envelope.h"
#include "redis_url.h"
#include "topics.h"

using namespace uvws::detail;

TEST_CASE("redis URLs: TCP, credentials, IPv6, database, Unix socket", "[redis][url]") {
  RedisUrl u = parse_redis_url("redis://127.0.0.1:6380");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 6380);
  CHECK(u.password.empty());
  CHECK(u.unix_path.empty());

  u = parse_redis_url("redis://localhost");
  CHECK(u.host == "localhost");
  CHECK(u.port == 6379);

  u = parse_redis_url("redis://app:p%40ss%3Aw@[::1]:7000/3");
  CHECK(u.user == "app");
  CHECK(u.password == "p@ss:w");
  CHECK(u.host == "::1");
  CHECK(u.port == 7000);
  CHECK(u.db == 3);
  CHECK(u.address() == "redis://[::1]:7000");  // no credentials in logs

  u = parse_redis_url("redis://:secret@h:1");
  CHECK(u.user.empty());
  CHECK(u.password == "secret");

  CHECK(parse_redis_url("/run/redis.sock").unix_path == "/run/redis.sock");
  CHECK(parse_redis_url("unix:///run/redis.sock").unix_path == "/run/redis.sock");

  for (const char* bad :
       {"", "http://h:1", "redis://", "redis://h:0", "redis://h:70000", "redis://h:x",
        "redis://h:1/db", "redis://[::1", "redis://u:%zz@h", "unix://relative"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_redis_url(bad), std::invalid_argument);
  }
}

TEST_CASE("the envelope: header, round trip, raw messages", "[redis][envelope]") {
  const std::string text = "héllo";
  const auto payload = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::vector<std::uint8_t> m(envelope_header_size);
  write_envelope_header(m.data(), 0x0102030405060708u, 42, uvws::ws::Opcode::text);
  m.insert(m.end(), payload.begin(), payload.end());
  CHECK(m[0] == 0xFF);
  CHECK(m[1] == 'u');
  CHECK(m[2] == 'v');
  CHECK(m[3] == 1);
  CHECK(m[4] == 1);    // big-endian origin
  CHECK(m[19] == 42);  // big-endian sequence, last byte
  CHECK(m[20] == 1);

  Envelope e = read_envelope(m);
  CHECK_FALSE(e.raw);
  CHECK(e.origin == 0x0102030405060708u);
  CHECK(e.sequence == 42);
  CHECK(e.opcode == uvws::ws::Opcode::text);
  CHECK(std::string(e.payload.begin(), e.payload.end()) == text);

  // Anything else is a raw message: text when UTF-8, binary otherwise (RFC 6455 8.1).
  e = read_envelope(payload);
  CHECK(e.raw);
  CHECK(e.opcode == uvws::ws::Opcode::text);
  CHECK(e.payload.size() == text.size());
  const std::uint8_t junk[] = {0xC3, 0x28, 'x'};
  CHECK(read_envelope(junk).opcode == uvws::ws::Opcode::binary);
  // The magic with a bad opcode, or cut short, is not an envelope either.
  m[20] = 9;
  CHECK(read_envelope(m).raw);
  CHECK(read_envelope(std::span(m).first(20)).raw);

  // frame_contents reads back what make_frame framed, at every length encoding (RFC 6455 5.2).
  for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
    std::vector<std::uint8_t> data(n, 'a');
    const SharedFrame f = make_frame(uvws::ws::Opcode::binary, data);
    const Envelope c = frame_contents(f->plain());
    CHECK(c.opcode == uvws::ws::Opcode::binary);
    CHECK(c.payload.size() == n);
  }
}
