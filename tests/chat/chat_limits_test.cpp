// The built uvws-chat program on loopback, seen by its clients: one client creating 3,000
// rooms cannot grow it past --max-rooms, rooms without members are freed, a new room is
// refused with an error while every room has members, an oversized message is closed with
// 1009, and the page and --help state the limits. Each case starts the program on port 0
// (the port read from its first line), and stops it by its PID with SIGTERM (exit 0 asserted).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "uvws/blocking_client.h"

#ifndef UVWS_CHAT_BINARY
#error "UVWS_CHAT_BINARY: the path of uvws-chat (tests/chat/CMakeLists.txt)"
#endif

namespace {

using namespace std::chrono_literals;

// uvws-chat ARGS... on 127.0.0.1 port 0, its stdout on a pipe until its "listening" line.
class ChatProcess {
 public:
  explicit ChatProcess(std::vector<std::string> args) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);  // dup2 gives the child its stdout without the flag
    args.insert(args.begin(),
                {UVWS_CHAT_BINARY, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn"});
    // Under AddressSanitizer freed memory waits in a quarantine (256 MB) before it is used
    // again, which would hide the reuse that the RSS check below is about; without one, RSS
    // compares as in a plain build. Other builds ignore the variable. The environment is built
    // before fork(): the child only calls async-signal-safe functions.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::vector<std::string> env_strings{"ASAN_OPTIONS=" + std::string(asan ? asan : "") +
                                         ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"};
    for (char** e = environ; *e; ++e) {
      if (std::string_view(*e).rfind("ASAN_OPTIONS=", 0) != 0) env_strings.emplace_back(*e);
    }
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::execve(argv[0], argv.data(), env.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    const std::string line = read_line(10s);
    std::smatch m;
    INFO("first line: " << line);
    REQUIRE(std::regex_search(line, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/)")));
    port_ = static_cast<std::uint16_t>(std::stoul(m[1]));
  }
  ~ChatProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  ChatProcess(const ChatProcess&) = delete;
  ChatProcess& operator=(const ChatProcess&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/chat"; }
  // SIGTERM, then the exit status (a graceful shutdown exits 0).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // VmRSS in kB from /proc.
  long rss_kb() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }

 private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char ch = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (::read(out_, &ch, 1) != 1) break;
      if (ch == '\n') return line;
      line += ch;
    }
    return line;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
};

// GET `path` with Connection: close; the status line and body (what follows the headers).
std::string http_get(std::uint16_t port, const std::string& path, std::string* status = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (status) *status = response.substr(0, response.find("\r\n"));
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

nlohmann::json stats(const ChatProcess& chat) {
  std::string status;
  const std::string body = http_get(chat.port(), "/stats", &status);
  INFO("GET /stats: " << status);
  REQUIRE(status == "HTTP/1.1 200 OK");
  return nlohmann::json::parse(body);
}

// The next message of type `type`, skipping presence; an "error" when another type is awaited
// fails the test with its text.
nlohmann::json expect(uvws::BlockingClient& c, const std::string& type) {
  for (;;) {
    const auto m = nlohmann::json::parse(c.recv(5s).text());
    if (m["type"] == type) return m;
    INFO("awaiting " << type << ", got " << m.dump());
    REQUIRE(m["type"] == "presence");
  }
}

nlohmann::json join(uvws::BlockingClient& c, const std::string& room, const std::string& nick,
                    const std::string& type = "joined") {
  c.send_text(nlohmann::json{{"type", "join"}, {"room", room}, {"nick", nick}}.dump());
  return expect(c, type);
}

void say(uvws::BlockingClient& c, const std::string& text) {
  c.send_text(nlohmann::json{{"type", "message"}, {"text", text}}.dump());
  expect(c, "message");  // the sender's own copy (include_self): recorded by then
}

}  // namespace

TEST_CASE("one client creating 3,000 rooms holds the server at --max-rooms", "[chat][loopback]") {
  ChatProcess chat({});  // the defaults: 1,000 rooms
  auto c = uvws::connect(chat.url());
  const std::string line(400, 'x');
  long rss_at_2000 = 0;
  for (int i = 0; i < 3000; ++i) {
    join(c, "room" + std::to_string(i), "ada");
    say(c, line);
    if (i == 1999) rss_at_2000 = chat.rss_kb();
  }
  // The first rooms gave way to the last ones: room0 is new, without history.
  CHECK(join(c, "room0", "ada")["history"].empty());
  CHECK(join(c, "room2999", "bob")["history"].size() == 1);
  // Past the cap the memory of the rooms that gave way is used again. The allocator settles
  // within the first 1,000 rooms past it (about 500 kB); the next 1,000 add nothing, where an
  // unbounded server grows by 2 MB per 1,000 rooms of a 400-byte line.
  const long growth = chat.rss_kb() - rss_at_2000;
  INFO("RSS at 2,000 rooms " << rss_at_2000 << " kB, growth over the next 1,000: " << growth
                             << " kB");
  CHECK(growth < 256);
  const auto s = stats(chat);
  CHECK(s["limits"]["max_rooms"] == 1000);
  // room2999, where the client is bob now, and 998 rooms without members, each with its line:
  // room0 had no history and was freed when the client left it.
  INFO(s.dump());
  CHECK(s["rooms"] == 999);
  CHECK(s["empty_rooms"] == 998);
  CHECK(s["history_messages"] == 999);
  c.close();
  CHECK(chat.stop() == 0);
}

TEST_CASE("with --history-seconds 0 a room is freed as soon as its last member leaves",
          "[chat][loopback]") {
  ChatProcess chat({"--history-seconds", "0"});
  auto c = uvws::connect(chat.url());
  for (int i = 0; i < 2000; ++i) {
    join(c, "room" + std::to_string(i), "ada");
    say(c, "hello");
  }
  auto s = stats(chat);
  CHECK(s["rooms"] == 1);
  CHECK(s["empty_rooms"] == 0);
  CHECK(s["history_messages"] <= 1);
  // Joining the first room again: a new room, without the line said there.
  CHECK(join(c, "room0", "ada")["history"].empty());
  c.close();
  CHECK(chat.stop() == 0);
}

TEST_CASE("a new room is refused with an error while every room has members", "[chat][loopback]") {
  ChatProcess chat({"--max-rooms", "3"});
  auto a = uvws::connect(chat.url());
  auto b = uvws::connect(chat.url());
  auto c = uvws::connect(chat.url());
  auto d = uvws::connect(chat.url());
  join(a, "x", "a");
  join(b, "y", "b");
  join(c, "z", "c");
  const auto refused = join(d, "w", "d", "error");
  CHECK(refused["error"] ==
        "no room left: all 3 rooms have members; join one of them or try later");
  CHECK(stats(chat)["rooms"] == 3);
  CHECK(join(d, "x", "d")["members"] == nlohmann::json::array({"a", "d"}));
  // c moves to x: z had no history and is freed at once, so d may open w.
  join(c, "x", "c");
  CHECK(stats(chat)["rooms"] == 2);
  CHECK(join(d, "w", "d")["room"] == "w");
  for (auto* client : {&a, &b, &c, &d}) client->close();
  CHECK(chat.stop() == 0);
}

TEST_CASE("a message past --max-message-bytes is closed with 1009, past the characters refused",
          "[chat][loopback]") {
  ChatProcess chat({});
  auto c = uvws::connect(chat.url());
  join(c, "lobby", "ada");
  c.send_text(nlohmann::json{{"type", "message"}, {"text", std::string(501, 'x')}}.dump());
  CHECK(expect(c, "error")["error"] == "message too long: 501 characters (at most 500)");
  c.send_text(std::string(4097, ' '));
  try {
    c.recv(5s);
    FAIL("a 4097-byte message was answered");
  } catch (const uvws::ConnectionClosed& e) {
    CHECK(e.code() == 1009);  // RFC 6455 7.4.1: too big to process
  }
  CHECK(chat.stop() == 0);
}

TEST_CASE("the page and --help state the limits in force", "[chat][loopback]") {
  ChatProcess chat({"--max-rooms", "12", "--history-seconds", "120"});
  std::string status;
  const std::string page = http_get(chat.port(), "/", &status);
  CHECK(status == "HTTP/1.1 200 OK");
  CHECK(page.find("{{limits}}") == std::string::npos);
  CHECK(page.find("Limits: at most 12 rooms;") != std::string::npos);
  CHECK(page.find("for 2 minutes;") != std::string::npos);
  CHECK(chat.stop() == 0);

  const std::string command = std::string(UVWS_CHAT_BINARY) + " --help";
  FILE* help = ::popen(command.c_str(), "r");
  REQUIRE(help != nullptr);
  std::string text;
  char buf[512];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, help)) > 0;) text.append(buf, n);
  CHECK(::pclose(help) == 0);
  CHECK(text.find("limits (defaults): at most 1000 rooms; messages of at most 500 characters "
                  "(4096 bytes as sent") != std::string::npos);
  CHECK(text.find("for 10 minutes") != std::string::npos);
}
