// bench-echo-beast: a Boost.Beast WebSocket echo server, a peer for the echo benchmark, plain
// or over TLS.
//
//   bench-echo-beast [--port N] [--tls CERT.pem KEY.pem]
//                    (0: any free port; prints "listening PORT" first)
//
// The usual Beast server: one io_context run by one thread, an acceptor, and per connection
// a session that accepts the upgrade and then loops async_read / async_write of each message
// with its opcode (Beast's own async echo example does the same). TCP_NODELAY is set, as
// every server in the benchmark does, and the timeouts are Beast's suggested server ones.
// Errors end that session.
//
// --tls: Beast's websocket_server_async_ssl example: the stream is
// websocket::stream<beast::ssl_stream<beast::tcp_stream>>, the session runs the TLS handshake
// (30 s timeout, as there) before the upgrade, and one asio ssl::context (tls_server) with the
// certificate chain and key serves every connection, so OpenSSL's session tickets (on by
// default) resume across connections.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "peer_options.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  explicit Session(tcp::socket&& socket) : ws_(std::move(socket)) {}
  Session(tcp::socket&& socket, ssl::context& context) : ws_(std::move(socket), context) {}

  void start() {
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
      ws_.next_layer().async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_tls_handshake, this->shared_from_this()));
    } else {
      accept();
    }
  }

 private:
  void on_tls_handshake(beast::error_code ec) {
    if (!ec) accept();
  }
  void accept() {
    // The websocket stream sets its own timeouts from here on.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, this->shared_from_this()));
  }
  void on_accept(beast::error_code ec) {
    if (!ec) read();
  }
  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(),
                    beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }
  void on_write(beast::error_code ec, std::size_t bytes) {
    if (ec) return;
    buffer_.consume(bytes);
    read();
  }

  Stream ws_;
  beast::flat_buffer buffer_;
};

class Listener {
 public:
  Listener(net::io_context& ioc, unsigned short port, ssl::context* tls)
      : ioc_(ioc),
        tls_(tls),
        acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), port)) {}

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
      if (!ec && tls_ != nullptr) {
        std::make_shared<Session<TlsStream>>(std::move(socket), *tls_)->start();
      } else if (!ec) {
        std::make_shared<Session<PlainStream>>(std::move(socket))->start();
      }
      accept();
    });
  }

 private:
  net::io_context& ioc_;
  ssl::context* tls_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  uvws::bench::PeerOptions options;
  if (!uvws::bench::parse_peer_options(argc, argv, "bench-echo-beast", options)) return 2;
  try {
    std::optional<ssl::context> tls;
    if (!options.cert.empty()) {
      tls.emplace(ssl::context::tls_server);
      tls->use_certificate_chain_file(options.cert);
      tls->use_private_key_file(options.key, ssl::context::pem);
    }
    net::io_context ioc{1};  // concurrency hint 1: one thread, no locking
    Listener listener(ioc, options.port, tls ? &*tls : nullptr);
    listener.accept();
    std::printf("listening %u\n", static_cast<unsigned>(listener.port()));
    std::fflush(stdout);
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-echo-beast: %s\n", e.what());
    return 1;
  }
  return 0;
}
