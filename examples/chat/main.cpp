// uvws-chat: a chat server with rooms, and its web page, on one port.
//
//   uvws-chat [--host 127.0.0.1] [--port 9001] [--threads 1] [--log-level info]
//             [--max-rooms 1000] [--history 50] [--history-bytes 16384]
//             [--history-seconds 600] [--max-text-chars 500] [--max-message-bytes 4096]
//             [--redis redis://host:port] [--redis-prefix uvws:]
//
// GET / serves the page (with the limits in force), GET /stats the rooms and messages held
// (JSON), GET /metrics the server's metrics for Prometheus; /chat is the WebSocket endpoint. The
// JSON protocol:
//   client -> server  {"type":"join","room":"lobby","nick":"ada"}
//                     {"type":"message","text":"hello"}
//   server -> client  {"type":"joined","room","nick","members":[...],"history":[...]}
//                     {"type":"message","id","room","nick","text","ts"}
//                     {"type":"presence","event":"join"|"leave","room","nick","members":[...]}
//                     {"type":"error","error":"..."}
// Every room is a pub/sub topic: a message is framed once and shared by all its members.
// Everything the server keeps is bounded (chat_room.h): a join past the room cap and a message
// past the character limit get an "error" message; a WebSocket message past
// --max-message-bytes is closed with 1009 by uvws (RFC 6455 7.4.1).
//
// With --redis, chat processes on the same Redis share their rooms (docs/REDIS.md): a message
// or a join/leave posted on one reaches the room's members on all. Each process still keeps its
// own member list, history and nicknames: "joined" lists and replays this process's only, a
// presence event carries the member list of the process it came from, and a nickname is unique
// per process.
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "../common/cli.h"
#include "chat_room.h"
#include "uvws/metrics.h"
#include "uvws/server.h"

namespace chat {

extern const char* const index_html;  // page.cpp, generated from index.html

// The page with its "{{limits}}" replaced by the limits in force, so that it cannot disagree
// with the command line.
std::string make_page(const Limits& limits) {
  std::string page = index_html;
  const std::string marker = "{{limits}}";
  if (auto at = page.find(marker); at != std::string::npos) {
    page.replace(at, marker.size(), describe(limits));  // no <, > or & in it: plain text
  }
  return page;
}

struct User {
  std::string room;  // empty until joined
  std::string nick;
};

std::string topic_of(const std::string& room) {
  return "room:" + room;
}

void serve_page(const std::string& page, uvws::HTTPReply& reply) {
  reply.status = 200;
  reply.content_type = "text/html; charset=utf-8";
  reply.body = page;
}

class ChatHandler final : public uvws::TypedHandler<User> {
 public:
  ChatHandler(Rooms& rooms, const std::string& page) : rooms_(rooms), page_(page) {}

  void message(uvws::WebSocket& ws, User& user, uvws::Message m) override {
    if (!m.is_text()) return error(ws, "messages are JSON text");
    nlohmann::json in = nlohmann::json::parse(m.text(), nullptr, /*allow_exceptions=*/false);
    if (!in.is_object() || !in.contains("type") || !in["type"].is_string()) {
      return error(ws, "messages are JSON objects with a \"type\"");
    }
    const std::string type = in["type"];
    if (type == "join") {
      if (!in.contains("room") || !in["room"].is_string() || !in.contains("nick") ||
          !in["nick"].is_string()) {
        return error(ws, "join needs \"room\" and \"nick\" strings");
      }
      join(ws, user, in["room"], in["nick"]);
    } else if (type == "message") {
      if (user.room.empty()) return error(ws, "join a room first");
      if (!in.contains("text") || !in["text"].is_string())
        return error(ws, "message needs \"text\"");
      const std::string text = in["text"];
      const std::size_t chars = utf8_length(text);
      if (chars == 0) return error(ws, "empty message");
      if (chars > rooms_.limits().max_text_chars) {
        return error(ws, "message too long: " + std::to_string(chars) + " characters (at most " +
                             std::to_string(rooms_.limits().max_text_chars) + ")");
      }
      ws.publish(topic_of(user.room), rooms_.post(user.room, user.nick, text), uvws::Opcode::text,
                 /*include_self=*/true);
    } else {
      error(ws, "unknown type \"" + type + "\"");
    }
  }

  void close(uvws::WebSocket& ws, User& user, std::uint16_t, std::string_view) override {
    leave(ws, user);
  }

  // A plain GET /chat (no upgrade) gets the page as well.
  void on_http(const uvws::HTTPRequest&, uvws::HTTPReply& reply) override {
    serve_page(page_, reply);
  }

 private:
  void error(uvws::WebSocket& ws, const std::string& text) {
    ws.send_text(nlohmann::json{{"type", "error"}, {"error", text}}.dump());
  }

  void join(uvws::WebSocket& ws, User& user, const std::string& room, const std::string& nick) {
    if (room == user.room && nick == user.nick) return;
    std::string problem;
    nlohmann::json joined = rooms_.join(room, nick, problem);
    if (!problem.empty()) return error(ws, problem);
    const bool renamed = room == user.room;
    leave(ws, user);
    // Renamed in the same room: the list taken by join() still had the old nick.
    if (renamed) joined["members"] = rooms_.members(room);
    user.room = room;
    user.nick = nick;
    ws.subscribe(topic_of(room));
    ws.send_text(joined.dump());
    presence(ws, user, "join", joined["members"]);
  }

  void leave(uvws::WebSocket& ws, User& user) {
    if (user.room.empty()) return;
    const auto members = rooms_.leave(user.room, user.nick);
    ws.unsubscribe(topic_of(user.room));
    presence(ws, user, "leave", members);
    user.room.clear();
  }

  void presence(uvws::WebSocket& ws, const User& user, const char* event,
                const nlohmann::json& members) {
    ws.publish(topic_of(user.room), nlohmann::json{{"type", "presence"},
                                                   {"event", event},
                                                   {"room", user.room},
                                                   {"nick", user.nick},
                                                   {"members", members}}
                                        .dump());
  }

  Rooms& rooms_;
  const std::string& page_;
};

// GET / (and /index.html): the page.
class PageHandler final : public uvws::Handler {
 public:
  explicit PageHandler(const std::string& page) : page_(page) {}
  void on_http(const uvws::HTTPRequest&, uvws::HTTPReply& reply) override {
    serve_page(page_, reply);
  }

 private:
  const std::string& page_;
};

// GET /stats: what the server holds now, and the limits (for operators and tests).
class StatsHandler final : public uvws::Handler {
 public:
  explicit StatsHandler(Rooms& rooms) : rooms_(rooms) {}
  void on_http(const uvws::HTTPRequest&, uvws::HTTPReply& reply) override {
    const Rooms::Stats s = rooms_.stats();
    const Limits& l = rooms_.limits();
    reply.status = 200;
    reply.content_type = "application/json";
    reply.body = nlohmann::json{{"rooms", s.rooms},
                                {"empty_rooms", s.empty_rooms},
                                {"members", s.members},
                                {"history_messages", s.history_messages},
                                {"history_bytes", s.history_bytes},
                                {"limits",
                                 {{"max_rooms", l.max_rooms},
                                  {"history", l.history},
                                  {"history_bytes", l.history_bytes},
                                  {"history_seconds", l.history_ttl.count()},
                                  {"max_text_chars", l.max_text_chars},
                                  {"max_message_bytes", l.max_message_bytes}}}}
                     .dump();
  }

 private:
  Rooms& rooms_;
};

// The command line: the common flags plus the limits, whose defaults --help states.
Limits parse_args(int argc, char** argv, uvws::ServerOptions& options) {
  Limits limits;
  const std::string usage =
      "uvws-chat [--max-rooms N] [--history N] [--history-bytes N] [--history-seconds N]\n"
      "                 [--max-text-chars N] [--max-message-bytes N]\n"
      "                 [--redis redis://[user:password@]host:port] [--redis-prefix PREFIX]\n"
      "  limits (defaults): " +
      describe(limits) + "\n  --history-seconds 0 frees a room as soon as its last member leaves.";
  auto number = [](const std::function<std::string()>& value) {
    return static_cast<std::size_t>(std::stoull(value()));
  };
  examples::parse_server_args(argc, argv, usage.c_str(), options,
                              [&](std::string_view arg, const std::function<std::string()>& value) {
                                if (arg == "--max-rooms") {
                                  limits.max_rooms = number(value);
                                } else if (arg == "--history") {
                                  limits.history = number(value);
                                } else if (arg == "--history-bytes") {
                                  limits.history_bytes = number(value);
                                } else if (arg == "--history-seconds") {
                                  limits.history_ttl = std::chrono::seconds(number(value));
                                } else if (arg == "--max-text-chars") {
                                  limits.max_text_chars = number(value);
                                } else if (arg == "--max-message-bytes") {
                                  limits.max_message_bytes = number(value);
                                } else if (arg == "--redis") {
                                  options.redis = value();
                                } else if (arg == "--redis-prefix") {
                                  options.redis_prefix = value();
                                } else {
                                  return false;
                                }
                                return true;
                              });
  if (limits.max_rooms == 0 || limits.max_text_chars == 0) {
    throw std::invalid_argument("--max-rooms and --max-text-chars must be at least 1");
  }
  if (limits.max_message_bytes < min_message_bytes(limits)) {
    throw std::invalid_argument("--max-message-bytes must be at least " +
                                std::to_string(min_message_bytes(limits)) + " to carry " +
                                std::to_string(limits.max_text_chars) + " characters");
  }
  options.max_message_size = limits.max_message_bytes;
  return limits;
}

}  // namespace chat

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  try {
    chat::Rooms rooms{chat::parse_args(argc, argv, options)};
    const std::string page_text = chat::make_page(rooms.limits());
    chat::ChatHandler chat_handler(rooms, page_text);
    chat::PageHandler page(page_text);
    chat::StatsHandler stats(rooms);
    uvws::Server server(options);
    server.route("/chat", chat_handler);
    server.route("/", page);
    server.route("/index.html", page);
    server.route("/stats", stats);
    uvws::MetricsHandler metrics(server);
    server.route("/metrics", metrics);  // Prometheus text over plain HTTP (uvws/metrics.h)
    server.listen();
    const char* http = examples::http_scheme(options);
    std::printf("uvws-chat listening on %s://%s:%u/ (WebSocket at /chat)\n", http,
                options.host.c_str(), server.port());
    std::printf("open %s://%s:%u/ in a browser\n", http, options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-chat: %s\n", e.what());
    return 1;
  }
  return 0;
}
