// bench-echo-websocketpp: a websocketpp echo server (asio transport), a peer for the echo
// benchmark, plain or over TLS.
//
//   bench-echo-websocketpp [--port N] [--tls CERT.pem KEY.pem]
//                          (0: any free port; prints "listening PORT" first)
//
// websocketpp's own echo_server example with its logging off: one thread runs the asio loop
// and the message handler sends each message back with its opcode. TCP_NODELAY is set, as
// every server in the benchmark does. Errors end that connection.
//
// --tls: the same server on websocketpp::config::asio_tls (its echo_server_tls example): an
// asio ssl::context (tls_server, the example's options) with the certificate chain and key.
// The example builds a context per connection in its tls_init handler; here the handler hands
// every connection one shared context, as a server normally does, so that OpenSSL's session
// tickets (on by default, keyed per context) resume across connections.
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>
#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

#include "peer_options.h"

namespace {

namespace ssl = boost::asio::ssl;

template <class Config>
int serve(const uvws::bench::PeerOptions& options) {
  using Server = websocketpp::server<Config>;
  Server server;
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  if constexpr (std::is_same_v<Config, websocketpp::config::asio_tls>) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::single_dh_use);
    context->use_certificate_chain_file(options.cert);
    context->use_private_key_file(options.key, ssl::context::pem);
    server.set_tls_init_handler([context](websocketpp::connection_hdl) { return context; });
  }
  // The socket is open (accepted) only from the TCP post-init hook on.
  server.set_tcp_post_init_handler([&server](websocketpp::connection_hdl hdl) {
    boost::system::error_code ignored;
    server.get_con_from_hdl(hdl)->get_raw_socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                              ignored);
  });
  server.set_message_handler(
      [&server](websocketpp::connection_hdl hdl, typename Server::message_ptr msg) {
        websocketpp::lib::error_code ec;
        server.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
      });
  server.listen(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), options.port));
  server.start_accept();
  websocketpp::lib::asio::error_code ec;
  const auto endpoint = server.get_local_endpoint(ec);
  if (ec) {
    std::fprintf(stderr, "bench-echo-websocketpp: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("listening %u\n", static_cast<unsigned>(endpoint.port()));
  std::fflush(stdout);
  server.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  uvws::bench::PeerOptions options;
  if (!uvws::bench::parse_peer_options(argc, argv, "bench-echo-websocketpp", options)) return 2;
  try {
    if (options.cert.empty()) return serve<websocketpp::config::asio>(options);
    return serve<websocketpp::config::asio_tls>(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-echo-websocketpp: %s\n", e.what());
    return 1;
  }
}
