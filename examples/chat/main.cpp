// uvws-chat: a chat server with rooms, and its web page, on one port.
//
// Over 400 lines: the handler with its cluster mode (asynchronous joins) reads best in one
// place; the Redis side itself is in cluster.{h,cpp}.
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
// With --redis, chat processes on the same Redis form one service (docs/REDIS.md): messages
// and presence events travel over the server's Redis pub/sub bridge, and the member list,
// nickname uniqueness and the history are kept in Redis (cluster.h). A join then completes
// asynchronously: the connection's loop asks loop 0 (Server::post), which runs the Redis
// script and hands the answer back to the connection's loop (WebSocketHandle::post), so the
// per-connection work stays on its own loop with any --threads. Members of a process that dies
// leave within --presence-ttl-seconds (10) plus a third of it.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "../common/cli.h"
#include "chat_room.h"
#include "cluster.h"
#include "uvws/metrics.h"
#include "uvws/net/loop.h"
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

// A join waiting for Redis (cluster mode). The connection's loop and loop 0 both see it: the
// state says who cleans up if the connection closes before the answer is applied.
struct PendingJoin {
  enum class State { waiting, answered, cancelled };
  std::mutex mutex;
  State state = State::waiting;
  ClusterJoin result;
  std::string room, nick;
};

struct User {
  std::string room;  // empty until joined
  std::string nick;
  std::shared_ptr<PendingJoin> pending;  // cluster mode: a join sent to Redis
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

  // Cluster mode (--redis): joins, leaves and history go through `cluster` on loop 0.
  void set_cluster(uvws::Server& server, Cluster& cluster) {
    server_ = &server;
    cluster_ = &cluster;
  }

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
      std::string posted = rooms_.post(user.room, user.nick, text);
      ws.publish(topic_of(user.room), posted, uvws::Opcode::text, /*include_self=*/true);
      if (cluster_ != nullptr) {
        server_->post(0, [this, room = user.room, posted = std::move(posted)] {
          cluster_->post(room, posted);
        });
      }
    } else {
      error(ws, "unknown type \"" + type + "\"");
    }
  }

  void close(uvws::WebSocket& ws, User& user, std::uint16_t, std::string_view) override {
    if (user.pending) abandon(*user.pending);
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
    if (user.pending) return error(ws, "a join is under way");
    std::string problem;
    nlohmann::json joined = rooms_.join(room, nick, problem);
    if (!problem.empty()) return error(ws, problem);
    if (cluster_ == nullptr) return joined_as(ws, user, std::move(joined));
    auto pending = std::make_shared<PendingJoin>();
    pending->room = room;
    pending->nick = nick;
    user.pending = pending;
    server_->post(0, [this, handle = ws.handle(), pending] {
      cluster_->join(pending->room, pending->nick, [this, handle, pending](ClusterJoin result) {
        {
          std::lock_guard lock(pending->mutex);
          if (pending->state == PendingJoin::State::cancelled) {
            // The connection closed first (and left the local room): give the nickname back.
            if (result.ok) cluster_leave(pending->room, pending->nick);
            return;
          }
          pending->result = std::move(result);
          pending->state = PendingJoin::State::answered;
        }
        handle.post([this](uvws::WebSocket& conn) { answered(conn, data(conn)); });
      });
    });
  }

  // Cluster mode, on the connection's loop: Redis has answered the join in user.pending.
  void answered(uvws::WebSocket& ws, User& user) {
    const std::shared_ptr<PendingJoin> pending = std::move(user.pending);
    if (!pending) return;
    ClusterJoin& result = pending->result;
    if (!result.ok) {
      rooms_.leave(pending->room, pending->nick);
      return error(ws, result.error);
    }
    nlohmann::json history = nlohmann::json::array();
    for (const auto& m : result.history) {
      auto parsed = nlohmann::json::parse(m, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) history.push_back(std::move(parsed));
    }
    // Renamed in the same room: the list still has the old nick, given back by joined_as.
    if (pending->room == user.room) std::erase(result.members, user.nick);
    joined_as(ws, user,
              {{"type", "joined"},
               {"room", pending->room},
               {"nick", pending->nick},
               {"members", result.members},
               {"history", std::move(history)},
               {"max_text_chars", rooms_.limits().max_text_chars}});
  }

  // The connection closes with a join in Redis: whoever comes second gives the nickname back.
  void abandon(PendingJoin& pending) {
    rooms_.leave(pending.room, pending.nick);
    std::lock_guard lock(pending.mutex);
    if (pending.state == PendingJoin::State::waiting) {
      pending.state = PendingJoin::State::cancelled;  // loop 0 gives it back on the answer
    } else if (pending.result.ok) {
      // Answered, but the answer will not run now that the connection is gone.
      server_->post(
          0, [this, room = pending.room, nick = pending.nick] { cluster_leave(room, nick); });
    }
  }

  void joined_as(uvws::WebSocket& ws, User& user, nlohmann::json joined) {
    const bool renamed = joined["room"] == user.room;
    leave(ws, user);
    // Renamed in the same room: the list taken by join() still had the old nick.
    if (renamed && cluster_ == nullptr)
      joined["members"] = rooms_.members(joined["room"].get<std::string>());
    user.room = joined["room"];
    user.nick = joined["nick"];
    ws.subscribe(topic_of(user.room));
    ws.send_text(joined.dump());
    presence(ws, user, "join", joined["members"]);
  }

  void leave(uvws::WebSocket& ws, User& user) {
    if (user.room.empty()) return;
    const auto members = rooms_.leave(user.room, user.nick);
    ws.unsubscribe(topic_of(user.room));
    if (cluster_ == nullptr) {
      presence(ws, user, "leave", members);
    } else {
      server_->post(0, [this, room = user.room, nick = user.nick] { cluster_leave(room, nick); });
    }
    user.room.clear();
  }

  // Loop 0: gives the nickname back in Redis, then tells the room (on every process).
  void cluster_leave(const std::string& room, const std::string& nick) {
    cluster_->leave(room, nick, [this, room, nick](std::vector<std::string> members) {
      server_->publish(topic_of(room), presence_text("leave", room, nick, members));
    });
  }

  void presence(uvws::WebSocket& ws, const User& user, const char* event,
                const nlohmann::json& members) {
    ws.publish(topic_of(user.room), presence_text(event, user.room, user.nick, members));
  }

 public:
  static std::string presence_text(const char* event, const std::string& room,
                                   const std::string& nick, const nlohmann::json& members) {
    return nlohmann::json{{"type", "presence"},
                          {"event", event},
                          {"room", room},
                          {"nick", nick},
                          {"members", members}}
        .dump();
  }

 private:
  Rooms& rooms_;
  const std::string& page_;
  uvws::Server* server_ = nullptr;
  Cluster* cluster_ = nullptr;
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
Limits parse_args(int argc, char** argv, uvws::ServerOptions& options,
                  std::chrono::seconds& presence_ttl) {
  Limits limits;
  const std::string usage =
      "uvws-chat [--max-rooms N] [--history N] [--history-bytes N] [--history-seconds N]\n"
      "                 [--max-text-chars N] [--max-message-bytes N]\n"
      "                 [--presence-ttl-seconds N (with --redis)]\n"
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
                                } else if (arg == "--presence-ttl-seconds") {
                                  presence_ttl = std::chrono::seconds(number(value));
                                } else {
                                  return false;
                                }
                                return true;
                              });
  if (presence_ttl.count() == 0) throw std::invalid_argument("--presence-ttl-seconds must be >= 1");
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
    std::chrono::seconds presence_ttl{10};
    chat::Rooms rooms{chat::parse_args(argc, argv, options, presence_ttl)};
    const std::string page_text = chat::make_page(rooms.limits());
    chat::ChatHandler chat_handler(rooms, page_text);
    chat::PageHandler page(page_text);
    chat::StatsHandler stats(rooms);
    options.handle_signals = options.redis.empty();  // cluster mode: see below
    uvws::Server server(options);
    server.route("/chat", chat_handler);
    server.route("/", page);
    server.route("/index.html", page);
    server.route("/stats", stats);
    uvws::MetricsHandler metrics(server);
    server.route("/metrics", metrics);  // Prometheus text over plain HTTP (uvws/metrics.h)
    // Cluster mode: the shared member lists and history (cluster.h), on loop 0.
    std::unique_ptr<chat::Cluster> cluster;
    if (!options.redis.empty()) {
      cluster = std::make_unique<chat::Cluster>(
          server,
          chat::ClusterConfig{options.redis, options.redis_prefix, presence_ttl, rooms.limits()},
          [&server](const std::string& room, const std::string& nick,
                    const std::vector<std::string>& members) {
            server.publish(chat::topic_of(room),
                           chat::ChatHandler::presence_text("leave", room, nick, members));
          });
      chat_handler.set_cluster(server, *cluster);
    }
    server.listen();
    // Cluster mode stops on SIGINT/SIGTERM itself (handle_signals is off): the Redis link and
    // its timer close first, on loop 0, then the server stops as it would on the signal.
    // Watched from here on, as Server::listen() would (this thread runs loop 0): a signal that
    // comes before run() is held until the loop runs. The link starts on loop 0.
    if (cluster) {
      if (const auto ec = server.loop(0).watch_signals({SIGINT, SIGTERM}, [&server, &cluster](int) {
            cluster->stop();
            server.stop();
          })) {
        throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + ec.message());
      }
      server.post(0, [&cluster] { cluster->start(); });
    }
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
