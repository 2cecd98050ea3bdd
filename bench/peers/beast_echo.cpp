// bench-echo-beast: a Boost.Beast WebSocket echo server, a peer for the echo benchmark.
//
//   bench-echo-beast [--port N]     (0: any free port; prints "listening PORT" first)
//
// The usual Beast server: one io_context run by one thread, an acceptor, and per connection
// a session that accepts the upgrade and then loops async_read / async_write of each message
// with its opcode (Beast's own async echo example does the same). TCP_NODELAY is set, as
// every server in the benchmark does, and the timeouts are Beast's suggested server ones.
// Errors end that session.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : ws_(std::move(socket)) {}

  void start() {
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec) {
    if (!ec) read();
  }
  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(),
                    beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }
  void on_write(beast::error_code ec, std::size_t bytes) {
    if (ec) return;
    buffer_.consume(bytes);
    read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
};

class Listener {
 public:
  Listener(net::io_context& ioc, unsigned short port)
      : ioc_(ioc), acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), port)) {}

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
      if (!ec) std::make_shared<Session>(std::move(socket))->start();
      accept();
    });
  }

 private:
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  unsigned long port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtoul(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: bench-echo-beast [--port N]\n");
      return 2;
    }
  }
  net::io_context ioc{1};  // concurrency hint 1: one thread, no locking
  Listener listener(ioc, static_cast<unsigned short>(port));
  listener.accept();
  std::printf("listening %u\n", static_cast<unsigned>(listener.port()));
  std::fflush(stdout);
  ioc.run();
  return 0;
}
