// The chat example's rooms alone (examples/chat/chat_room.cpp): every cap, the expiry of
// history and the freeing of rooms without members, on a clock the test moves (no sleeps).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "chat_room.h"

namespace {

using namespace std::chrono_literals;

// A steady clock that stands still until the test moves it.
struct TestClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  chat::Rooms::Clock fn() {
    return [this] { return now; };
  }
};

chat::Limits small_limits() {
  chat::Limits l;
  l.max_rooms = 3;
  l.history = 4;
  l.history_bytes = 100000;
  l.history_ttl = 60s;
  return l;
}

nlohmann::json join_ok(chat::Rooms& rooms, const std::string& room, const std::string& nick) {
  std::string error;
  nlohmann::json j = rooms.join(room, nick, error);
  INFO(error);
  REQUIRE(error.empty());
  return j;
}

std::string join_error(chat::Rooms& rooms, const std::string& room, const std::string& nick) {
  std::string error;
  rooms.join(room, nick, error);
  return error;
}

}  // namespace

TEST_CASE("a room without members or history is freed at once", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  join_ok(rooms, "a", "ada");
  CHECK(rooms.stats().rooms == 1);
  CHECK(rooms.leave("a", "ada").empty());
  const auto s = rooms.stats();
  CHECK(s.rooms == 0);
  CHECK(s.members == 0);
}

TEST_CASE("a room without members keeps its history until it expires, then is freed", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  join_ok(rooms, "a", "ada");
  rooms.post("a", "ada", "first");
  clock.now += 30s;
  rooms.post("a", "ada", "second");
  rooms.leave("a", "ada");
  CHECK(rooms.stats().rooms == 1);
  CHECK(rooms.stats().empty_rooms == 1);

  // 60 s after the first message: it has expired, the second has not.
  clock.now += 30s;
  auto joined = join_ok(rooms, "a", "bob");
  REQUIRE(joined["history"].size() == 1);
  CHECK(joined["history"][0]["text"] == "second");
  CHECK(rooms.stats().empty_rooms == 0);  // a member again: not listed for freeing
  rooms.leave("a", "bob");

  clock.now += 29s;
  CHECK(rooms.stats().rooms == 1);
  clock.now += 1s;  // the second message's 60 s
  const auto s = rooms.stats();
  CHECK(s.rooms == 0);
  CHECK(s.empty_rooms == 0);
  CHECK(s.history_messages == 0);
  CHECK(s.history_bytes == 0);
}

TEST_CASE("a room with members is kept past the expiry of its history", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  join_ok(rooms, "a", "ada");
  rooms.post("a", "ada", "hello");
  clock.now += 10min;
  CHECK(join_ok(rooms, "a", "bob")["history"].empty());
  const auto s = rooms.stats();
  CHECK(s.rooms == 1);
  CHECK(s.members == 2);
  CHECK(s.history_messages == 0);
}

TEST_CASE("history is capped by messages and by bytes", "[chat]") {
  TestClock clock;
  chat::Limits limits = small_limits();
  chat::Rooms rooms(limits, clock.fn());
  join_ok(rooms, "a", "ada");
  for (int i = 0; i < 10; ++i) rooms.post("a", "ada", "m" + std::to_string(i));
  auto history = join_ok(rooms, "a", "bob")["history"];
  REQUIRE(history.size() == 4);
  CHECK(history[0]["text"] == "m6");
  CHECK(history[3]["text"] == "m9");
  CHECK(rooms.stats().history_messages == 4);

  limits.history = 1000;
  limits.history_bytes = 1000;
  chat::Rooms by_bytes(limits, clock.fn());
  join_ok(by_bytes, "b", "ada");
  std::size_t one = 0;
  for (int i = 0; i < 100; ++i) one = by_bytes.post("b", "ada", std::string(100, 'x')).size();
  const auto s = by_bytes.stats();
  CHECK(s.history_bytes <= 1000);
  CHECK(s.history_bytes > 1000 - one);
  CHECK(s.history_messages == 1000 / one);
}

TEST_CASE("past max_rooms a new room is refused while every room has members", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  join_ok(rooms, "a", "ada");
  join_ok(rooms, "b", "bob");
  join_ok(rooms, "c", "cy");
  CHECK(join_error(rooms, "d", "dee") ==
        "no room left: all 3 rooms have members; join one of them or try later");
  CHECK(rooms.stats().rooms == 3);
  join_ok(rooms, "a", "dee");  // an existing room is still open to newcomers

  // A room left without history is freed: room for a new one.
  rooms.leave("c", "cy");
  join_ok(rooms, "d", "cy");
  CHECK(rooms.stats().rooms == 3);
}

TEST_CASE("at max_rooms the empty room whose history expires first gives way", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  for (const char* name : {"a", "b", "c"}) {
    join_ok(rooms, name, "ada");
    rooms.post(name, "ada", std::string("in ") + name);
    rooms.leave(name, "ada");
    clock.now += 1s;
  }
  CHECK(rooms.stats().empty_rooms == 3);
  join_ok(rooms, "d", "ada");  // "a" gives way: its history was the oldest
  CHECK(rooms.stats().rooms == 3);
  CHECK(join_ok(rooms, "a", "bob")["history"].empty());  // a new room "a", which takes "b"'s place
  CHECK(join_ok(rooms, "c", "cy")["history"].size() == 1);         // still there
  CHECK(join_error(rooms, "e", "eve").find("no room left") == 0);  // a, c, d have members
}

TEST_CASE("one client hopping through 2,000 rooms holds at most max_rooms", "[chat]") {
  TestClock clock;
  chat::Limits limits;  // the defaults: 1,000 rooms
  chat::Rooms rooms(limits, clock.fn());
  std::string previous;
  for (int i = 0; i < 2000; ++i) {
    const std::string room = "room" + std::to_string(i);
    join_ok(rooms, room, "ada");
    if (!previous.empty()) rooms.leave(previous, "ada");
    rooms.post(room, "ada", std::string(400, 'x'));
    previous = room;
    REQUIRE(rooms.stats().rooms <= limits.max_rooms);
  }
  auto s = rooms.stats();
  CHECK(s.rooms == limits.max_rooms);
  CHECK(s.history_messages == limits.max_rooms);
  CHECK(s.history_bytes <= limits.max_rooms * limits.history_bytes);

  clock.now += limits.history_ttl;  // every message has expired
  s = rooms.stats();
  CHECK(s.rooms == 1);  // the room ada is in
  CHECK(s.empty_rooms == 0);
  CHECK(s.history_messages == 1);  // its own, dropped when the room is next used
}

TEST_CASE("a nickname is taken once per room; renaming keeps the room", "[chat]") {
  TestClock clock;
  chat::Rooms rooms(small_limits(), clock.fn());
  join_ok(rooms, "a", "ada");
  CHECK(join_error(rooms, "a", "ada") == "the nickname \"ada\" is taken in this room");
  join_ok(rooms, "a", "ada2");
  CHECK(rooms.leave("a", "ada") == std::vector<std::string>{"ada2"});
  CHECK(rooms.stats().members == 1);
  CHECK(join_error(rooms, std::string(65, 'r'), "bob") == "room names are 1 to 64 characters");
  CHECK(join_error(rooms, "a", "") == "nicknames are 1 to 32 characters");
}

TEST_CASE("the limits are described with their values", "[chat]") {
  chat::Limits l;
  l.max_rooms = 7;
  l.history_ttl = 90s;
  const std::string text = chat::describe(l);
  CHECK(text.find("at most 7 rooms") != std::string::npos);
  CHECK(text.find("last 50 messages (at most 16384 bytes of them) for 90 seconds") !=
        std::string::npos);
  CHECK(text.find("500 characters (4096 bytes as sent") != std::string::npos);
  CHECK(chat::min_message_bytes(chat::Limits{}) <= chat::Limits{}.max_message_bytes);
}
