// Limits and security: the options that bound what a peer may cost.
#include <uvws/server.h>

int main() {
  // [limits]
  uvws::ServerOptions options;
  options.max_connections = 10000;      // more are accepted and closed at once
  options.max_message_size = 4u << 20;  // 1 MiB by default; a bigger one closes with 1009
  options.max_frame_size = 4u << 20;    // likewise for one frame
  options.max_header_bytes = 8192;      // handshake: 431 past this
  options.max_headers = 50;
  options.memory_budget = 512u << 20;  // all connections' buffers together
  options.handshake_timeout = std::chrono::seconds(5);
  options.idle_timeout = std::chrono::seconds(60);    // nothing received: closed
  options.ping_interval = std::chrono::seconds(20);   // keepalive pings to idle peers
  options.allowed_origins = {"https://example.com"};  // browsers from elsewhere get 403
  options.subprotocols = {"chat.v2", "chat.v1"};      // preferred first
  options.compression.enabled = true;                 // permessage-deflate (RFC 7692)
  options.compression.server_max_window_bits = 12;    // less memory per connection
  // [limits]
  uvws::Server server(options);
  (void)server;
}
