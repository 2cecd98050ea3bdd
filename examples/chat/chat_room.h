// Rooms of the chat example: members, the last messages, and the JSON the clients see.
//
// Kept apart from the network code so that it reads as plain application logic. One Rooms
// object serves every loop of the server, so it takes a mutex (held briefly: no I/O under it).
//
// Everything it holds is bounded (Limits): at most max_rooms rooms, each keeping at most
// `history` messages and history_bytes bytes of them, each message for history_ttl. A room
// with members is never freed; a room without members is freed once its history has expired
// (at once when it has none), and when a new room is needed at the cap, the empty room whose
// history expires first gives way. Only when every room has members is a new room refused.
// Expired rooms are freed lazily, by the next call that takes the lock (the server offers the
// application no timer), which keeps the count exact for anyone who asks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat {

struct Limits {
  std::size_t max_text_chars = 500;  // code points in one chat message
  std::size_t max_nick_chars = 32;
  std::size_t max_room_chars = 64;
  std::size_t max_rooms = 1000;              // rooms at once, with members or with history
  std::size_t history = 50;                  // messages kept per room
  std::size_t history_bytes = 16 * 1024;     // bytes of those messages (their JSON) per room
  std::chrono::seconds history_ttl{600};     // a message leaves the history this long after
  std::size_t max_message_bytes = 4 * 1024;  // one WebSocket message from a client (1009 past)
};

// Code points in valid UTF-8 (uvws has validated every text message already).
std::size_t utf8_length(const std::string& s);

// The limits in one paragraph, for --help and the page.
std::string describe(const Limits& limits);

// The smallest max_message_bytes that carries a message of max_text_chars characters: JSON may
// escape a character as 6 bytes (\u001f), plus the object around the text.
std::size_t min_message_bytes(const Limits& limits);

class Rooms {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` tells when messages expire (tests pass their own); the "ts" the clients see is the
  // wall-clock time regardless.
  explicit Rooms(
      Limits limits, Clock clock = [] { return std::chrono::steady_clock::now(); })
      : limits_(limits), clock_(std::move(clock)) {}

  const Limits& limits() const { return limits_; }

  // Adds `nick` to `room`; returns the "joined" message for the newcomer (members and
  // history), or an error text in `error` (nickname taken, bad names, no room left).
  nlohmann::json join(const std::string& room, const std::string& nick, std::string& error);
  // Removes `nick` from `room`; returns the members left.
  std::vector<std::string> leave(const std::string& room, const std::string& nick);
  std::vector<std::string> members(const std::string& room) const;
  // Records a message of a member in the room's history and returns it as sent to the room
  // (JSON text).
  std::string post(const std::string& room, const std::string& nick, const std::string& text);

  struct Stats {
    std::size_t rooms = 0;        // rooms held, with members or with history
    std::size_t empty_rooms = 0;  // of which without members (freed when history expires)
    std::size_t members = 0;      // members of all rooms
    std::size_t history_messages = 0;
    std::size_t history_bytes = 0;
  };
  // Frees what has expired first, so that the figures are exact at the time of the call.
  Stats stats();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Entry {
    std::string json;
    TimePoint expires;
  };
  struct Room {
    std::multiset<std::string> members;
    std::deque<Entry> history;
    std::size_t history_bytes = 0;
    TimePoint empty_until{};  // without members: its key in empty_ (the newest entry's expiry)
  };
  using RoomMap = std::map<std::string, Room>;

  void sweep(TimePoint now);
  void expire_history(Room& r, TimePoint now);
  void pop_front(Room& r);
  // A room whose last member left: freed now without history, else listed in empty_.
  void emptied(RoomMap::iterator it, TimePoint now);
  void free_room(RoomMap::iterator it);

  Limits limits_;
  Clock clock_;
  mutable std::mutex mutex_;
  RoomMap rooms_;
  // Rooms without members, by the time their history has expired: the first is the next one
  // to free, and the one to give way when a new room is needed at max_rooms.
  std::set<std::pair<TimePoint, std::string>> empty_;
  std::size_t members_ = 0;
  std::size_t history_messages_ = 0;
  std::size_t history_bytes_ = 0;
  std::uint64_t next_id_ = 1;
};

}  // namespace chat
