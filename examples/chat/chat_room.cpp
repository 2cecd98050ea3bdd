#include "chat_room.h"

namespace chat {

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s)
    n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;  // count every byte but continuations
  return n;
}

namespace {

std::int64_t wall_ms() {
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

std::string duration_text(std::chrono::seconds d) {
  const auto n = d.count();
  if (n != 0 && n % 60 == 0) return std::to_string(n / 60) + (n == 60 ? " minute" : " minutes");
  return std::to_string(n) + (n == 1 ? " second" : " seconds");
}

}  // namespace

std::string describe(const Limits& l) {
  return "at most " + std::to_string(l.max_rooms) + " rooms; messages of at most " +
         std::to_string(l.max_text_chars) + " characters (" + std::to_string(l.max_message_bytes) +
         " bytes as sent: a larger WebSocket message closes the connection with 1009); each room "
         "keeps its last " +
         std::to_string(l.history) + " messages (at most " + std::to_string(l.history_bytes) +
         " bytes of them) for " + duration_text(l.history_ttl) +
         "; a room without members is freed when its history has expired, or gives way to a new "
         "room when all " +
         std::to_string(l.max_rooms) +
         " are taken; a new room is refused only while every room has members; nicknames of at "
         "most " +
         std::to_string(l.max_nick_chars) + " characters, room names of at most " +
         std::to_string(l.max_room_chars) + ".";
}

std::size_t min_message_bytes(const Limits& l) {
  return 6 * l.max_text_chars + 64;  // {"type":"message","text":"..."} is 28 bytes around it
}

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
  const TimePoint now = clock_();
  sweep(now);
  auto it = rooms_.find(room);
  if (it != rooms_.end() && it->second.members.count(nick) != 0) {
    error = "the nickname \"" + nick + "\" is taken in this room";
    return {};
  }
  if (it == rooms_.end()) {
    if (rooms_.size() >= limits_.max_rooms) {
      if (empty_.empty()) {
        error = "no room left: all " + std::to_string(limits_.max_rooms) +
                " rooms have members; join one of them or try later";
        return {};
      }
      // The empty room whose history would expire first gives way: its members are gone,
      // and a cap that a single client could hold for history_ttl would deny everyone else.
      free_room(rooms_.find(empty_.begin()->second));
    }
    it = rooms_.emplace(room, Room{}).first;
  }
  Room& r = it->second;
  if (r.members.empty() && !r.history.empty()) empty_.erase({r.empty_until, room});
  expire_history(r, now);
  r.members.insert(nick);
  ++members_;
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : r.history) history.push_back(nlohmann::json::parse(e.json));
  return {{"type", "joined"},
          {"room", room},
          {"nick", nick},
          {"members", std::vector<std::string>(r.members.begin(), r.members.end())},
          {"history", std::move(history)},
          {"max_text_chars", limits_.max_text_chars}};
}

std::vector<std::string> Rooms::leave(const std::string& room, const std::string& nick) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_();
  sweep(now);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  auto member = it->second.members.find(nick);
  if (member == it->second.members.end())
    return {it->second.members.begin(), it->second.members.end()};
  it->second.members.erase(member);
  --members_;
  std::vector<std::string> left(it->second.members.begin(), it->second.members.end());
  if (left.empty()) emptied(it, now);
  return left;
}

std::vector<std::string> Rooms::members(const std::string& room) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  return {it->second.members.begin(), it->second.members.end()};
}

std::string Rooms::post(const std::string& room, const std::string& nick, const std::string& text) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_();
  sweep(now);
  std::string m = nlohmann::json{{"type", "message"}, {"id", next_id_++}, {"room", room},
                                 {"nick", nick},      {"text", text},     {"ts", wall_ms()}}
                      .dump();
  auto it = rooms_.find(room);
  // Only members post (the handler sends only for a joined room); anything else is not kept.
  if (it == rooms_.end() || it->second.members.count(nick) == 0) return m;
  Room& r = it->second;
  expire_history(r, now);
  r.history.push_back({m, now + limits_.history_ttl});
  r.history_bytes += m.size();
  ++history_messages_;
  history_bytes_ += m.size();
  while (!r.history.empty() &&
         (r.history.size() > limits_.history || r.history_bytes > limits_.history_bytes)) {
    pop_front(r);
  }
  return m;
}

Rooms::Stats Rooms::stats() {
  std::lock_guard lock(mutex_);
  sweep(clock_());
  return {rooms_.size(), empty_.size(), members_, history_messages_, history_bytes_};
}

// Each room enters empty_ once per time it is left empty, so the work here is paid for by the
// calls that emptied the rooms: amortized constant per call, at most max_rooms at once.
void Rooms::sweep(TimePoint now) {
  while (!empty_.empty() && empty_.begin()->first <= now) {
    free_room(rooms_.find(empty_.begin()->second));
  }
}

void Rooms::expire_history(Room& r, TimePoint now) {
  while (!r.history.empty() && r.history.front().expires <= now) pop_front(r);
}

void Rooms::pop_front(Room& r) {
  const std::size_t bytes = r.history.front().json.size();
  r.history_bytes -= bytes;
  history_bytes_ -= bytes;
  --history_messages_;
  r.history.pop_front();
}

void Rooms::emptied(RoomMap::iterator it, TimePoint now) {
  Room& r = it->second;
  expire_history(r, now);
  if (r.history.empty()) return free_room(it);
  // Messages expire in the order they came: the room's history is gone with its newest one.
  r.empty_until = r.history.back().expires;
  empty_.emplace(r.empty_until, it->first);
}

void Rooms::free_room(RoomMap::iterator it) {
  Room& r = it->second;
  if (r.members.empty() && !r.history.empty()) empty_.erase({r.empty_until, it->first});
  history_messages_ -= r.history.size();
  history_bytes_ -= r.history_bytes;
  members_ -= r.members.size();
  rooms_.erase(it);
}

}  // namespace chat
