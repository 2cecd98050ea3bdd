// Rooms of the chat example: members, the last messages, and the JSON the clients see.
//
// Kept apart from the network code so that it reads as plain application logic. One Rooms
// object serves every loop of the server, so it takes a mutex (held briefly: no I/O under it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat {

struct Limits {
  std::size_t max_text_chars = 500;
  std::size_t max_nick_chars = 32;
  std::size_t max_room_chars = 64;
  std::size_t history = 50;
};

// Code points in valid UTF-8 (uvws has validated every text message already).
std::size_t utf8_length(const std::string& s);

class Rooms {
 public:
  explicit Rooms(Limits limits) : limits_(limits) {}

  const Limits& limits() const { return limits_; }

  // Adds `nick` to `room`; returns the "joined" message for the newcomer (members and
  // history), or an error text in `error` (nickname taken, bad names).
  nlohmann::json join(const std::string& room, const std::string& nick, std::string& error);
  // Removes `nick` from `room`; returns the members left.
  std::vector<std::string> leave(const std::string& room, const std::string& nick);
  std::vector<std::string> members(const std::string& room) const;
  // Records a message in the room's history and returns it as sent to the room.
  nlohmann::json post(const std::string& room, const std::string& nick, const std::string& text);

 private:
  struct Room {
    std::multiset<std::string> members;
    std::deque<nlohmann::json> history;
  };
  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Room> rooms_;
  std::uint64_t next_id_ = 1;
};

}  // namespace chat
