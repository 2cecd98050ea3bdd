// Handlers and per-connection data: TypedHandler owns one T per connection.
#include <string>

#include <uvws/server.h>

// [typed]
struct Session {
  std::string name = "anonymous";
  unsigned messages = 0;
};

class Chat : public uvws::TypedHandler<Session> {
 public:
  void open(uvws::WebSocket& ws, Session& session) override {
    // The request is readable in open() only: copy what the connection needs later.
    std::string_view name = ws.query();
    if (!name.empty()) session.name = std::string(name);
    ws.send_text("hello " + session.name);
  }
  void message(uvws::WebSocket& ws, Session& session, uvws::Message message) override {
    ++session.messages;
    ws.send_text(session.name + " #" + std::to_string(session.messages) + ": " +
                 std::string(message.text()));
  }
  void close(uvws::WebSocket& ws, Session& session, std::uint16_t code,
             std::string_view reason) override {
    (void)ws;
    (void)session;
    (void)code;
    (void)reason;
    // `session` is destroyed right after this returns.
  }
};
// [typed]

int main() {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 9001;
  uvws::Server server(options);
  Chat chat;
  server.route("/chat", chat);
  server.run();
}
