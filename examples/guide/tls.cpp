// TLS: a wss:// (and https://) server with its certificate, SNI and reload; a client that
// verifies the server. Run `tls client` for the client.
#include <cstdio>
#include <string_view>

#include <uvws/client.h>
#include <uvws/server.h>

class Echo : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

class Hello : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override { ws.send_text("hello over TLS"); }
  void on_message(uvws::WebSocket& ws, uvws::Message) override { ws.close(1000, "done"); }
  void on_error(uvws::WebSocket*, std::error_code ec) override {
    std::printf("error: %s\n", ec.message().c_str());  // e.g. certificate verify failed: ...
  }
};

// After a certificate renewal, from any thread.
void renewed(uvws::Server& server) {
  // [reload]
  server.reload_tls();  // new connections get the new files; open ones keep theirs
  // [reload]
}

void client() {
  // [client]
  uvws::net::Loop loop;
  uvws::ClientOptions options;
  options.tls.ca_file = "ca.pem";  // unset: the system's trust store
  Hello hello;
  uvws::Client client(loop, "wss://localhost:9443/", hello, options);
  client.connect();
  loop.run();
  // [client]
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "client") {
    client();
    return 0;
  }
  // [server]
  uvws::ServerOptions options;
  options.port = 9443;
  options.tls.emplace();
  options.tls->certificate = {"chain.pem", "key.pem"};  // PEM: the leaf, then intermediates
  // Another certificate for clients that ask for this name (SNI).
  options.tls->sni.push_back({"api.example.com", {"api-chain.pem", "api-key.pem"}});
  uvws::Server server(options);  // a bad file throws std::invalid_argument (OpenSSL's reason)
  // [server]
  Echo echo;
  server.route("/", echo);
  if (argc > 1) renewed(server);
  server.run();  // SIGHUP reloads the certificate files as renewed() does
}
