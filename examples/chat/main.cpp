// uvws-chat: a chat server with rooms, and its web page, on one port.
//
//   uvws-chat [--host 127.0.0.1] [--port 9001] [--threads 1] [--log-level info]
//
// GET / serves the page; /chat is the WebSocket endpoint. The JSON protocol:
//   client -> server  {"type":"join","room":"lobby","nick":"ada"}
//                     {"type":"message","text":"hello"}
//   server -> client  {"type":"joined","room","nick","members":[...],"history":[...]}
//                     {"type":"message","id","room","nick","text","ts"}
//                     {"type":"presence","event":"join"|"leave","room","nick","members":[...]}
//                     {"type":"error","error":"..."}
// Every room is a pub/sub topic: a message is framed once and shared by all its members.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/cli.h"
#include "chat_room.h"
#include "uvws/server.h"

namespace chat {

extern const char* const index_html;  // page.cpp, generated from index.html

struct User {
  std::string room;  // empty until joined
  std::string nick;
};

std::string topic_of(const std::string& room) {
  return "room:" + room;
}

void serve_page(uvws::HTTPReply& reply) {
  reply.status = 200;
  reply.content_type = "text/html; charset=utf-8";
  reply.body = index_html;
}

class ChatHandler final : public uvws::TypedHandler<User> {
 public:
  explicit ChatHandler(Rooms& rooms) : rooms_(rooms) {}

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
      ws.publish(topic_of(user.room), rooms_.post(user.room, user.nick, text).dump(),
                 uvws::Opcode::text, /*include_self=*/true);
    } else {
      error(ws, "unknown type \"" + type + "\"");
    }
  }

  void close(uvws::WebSocket& ws, User& user, std::uint16_t, std::string_view) override {
    leave(ws, user);
  }

  // A plain GET /chat (no upgrade) gets the page as well.
  void on_http(const uvws::HTTPRequest&, uvws::HTTPReply& reply) override { serve_page(reply); }

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
};

// GET / (and /index.html): the page.
class PageHandler final : public uvws::Handler {
 public:
  void on_http(const uvws::HTTPRequest&, uvws::HTTPReply& reply) override { serve_page(reply); }
};

}  // namespace chat

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.max_message_size = 64 * 1024;  // a chat line, with room to spare for JSON
  examples::parse_server_args(argc, argv, "uvws-chat", options);

  try {
    chat::Rooms rooms{chat::Limits{}};
    chat::ChatHandler chat_handler(rooms);
    chat::PageHandler page;
    uvws::Server server(options);
    server.route("/chat", chat_handler);
    server.route("/", page);
    server.route("/index.html", page);
    server.listen();
    std::printf("uvws-chat listening on http://%s:%u/ (WebSocket at /chat)\n", options.host.c_str(),
                server.port());
    std::printf("open http://%s:%u/ in a browser\n", options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-chat: %s\n", e.what());
    return 1;
  }
  return 0;
}
