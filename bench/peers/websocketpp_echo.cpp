// bench-echo-websocketpp: a websocketpp echo server (asio transport, no TLS), a peer for the
// echo benchmark.
//
//   bench-echo-websocketpp [--port N]     (0: any free port; prints "listening PORT" first)
//
// websocketpp's own echo_server example with its logging off: one thread runs the asio loop
// and the message handler sends each message back with its opcode. TCP_NODELAY is set, as
// every server in the benchmark does. Errors end that connection.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using Server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
  unsigned long port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtoul(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: bench-echo-websocketpp [--port N]\n");
      return 2;
    }
  }
  Server server;
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  // The socket is open (accepted) only from the TCP post-init hook on.
  server.set_tcp_post_init_handler([&server](websocketpp::connection_hdl hdl) {
    boost::system::error_code ignored;
    server.get_con_from_hdl(hdl)->get_socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                          ignored);
  });
  server.set_message_handler([&server](websocketpp::connection_hdl hdl, Server::message_ptr msg) {
    websocketpp::lib::error_code ec;
    server.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
  });
  server.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                               static_cast<unsigned short>(port)));
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
