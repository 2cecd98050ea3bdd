#include "chat_room.h"

#include <chrono>

namespace chat {

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s)
    n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;  // count every byte but continuations
  return n;
}

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool valid_name(const std::string& s, std::size_t max_chars) {
  if (s.empty() || utf8_length(s) > max_chars) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return false;  // no control characters
  }
  return true;
}

}  // namespace

nlohmann::json Rooms::join(const std::string& room, const std::string& nick, std::string& error) {
  if (!valid_name(room, limits_.max_room_chars)) {
    error = "room names are 1 to " + std::to_string(limits_.max_room_chars) + " characters";
    return {};
  }
  if (!valid_name(nick, limits_.max_nick_chars)) {
    error = "nicknames are 1 to " + std::to_string(limits_.max_nick_chars) + " characters";
    return {};
  }
  std::lock_guard lock(mutex_);
  Room& r = rooms_[room];
  if (r.members.count(nick) != 0) {
    error = "the nickname \"" + nick + "\" is taken in this room";
    if (r.members.empty()) rooms_.erase(room);
    return {};
  }
  r.members.insert(nick);
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : r.history) history.push_back(m);
  return {{"type", "joined"},
          {"room", room},
          {"nick", nick},
          {"members", std::vector<std::string>(r.members.begin(), r.members.end())},
          {"history", std::move(history)},
          {"max_text_chars", limits_.max_text_chars}};
}

std::vector<std::string> Rooms::leave(const std::string& room, const std::string& nick) {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  auto member = it->second.members.find(nick);
  if (member != it->second.members.end()) it->second.members.erase(member);
  std::vector<std::string> left(it->second.members.begin(), it->second.members.end());
  // An empty room keeps its history for whoever comes next; only an unused room is dropped.
  if (it->second.members.empty() && it->second.history.empty()) rooms_.erase(it);
  return left;
}

std::vector<std::string> Rooms::members(const std::string& room) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  return {it->second.members.begin(), it->second.members.end()};
}

nlohmann::json Rooms::post(const std::string& room, const std::string& nick,
                           const std::string& text) {
  std::lock_guard lock(mutex_);
  nlohmann::json m = {{"type", "message"}, {"id", next_id_++}, {"room", room},
                      {"nick", nick},      {"text", text},     {"ts", now_ms()}};
  Room& r = rooms_[room];
  r.history.push_back(m);
  while (r.history.size() > limits_.history) r.history.pop_front();
  return m;
}

}  // namespace chat
