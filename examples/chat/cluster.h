// The chat's state shared through Redis (uvws-chat --redis): the member list of each room
// (presence), nickname uniqueness per room across processes, and each room's recent history.
// Messages and presence events themselves travel over the server's Redis pub/sub bridge
// (ServerOptions::redis, docs/REDIS.md); this object keeps what a newcomer must read.
//
// Keys (PREFIX is --redis-prefix, "uvws:" by default):
//   PREFIXchat:<room>:members  hash nick -> process id, expires 3 TTLs after its last refresh
//   PREFIXchat:<room>:history  list of message JSON, newest first, LTRIMmed to --history,
//                              expires --history-seconds after the last message
//   PREFIXchat:proc:<id>       one per live process, SET with EX TTL and refreshed every TTL/3
// A member whose process key has expired belongs to a dead process: whoever lists the room
// next (a join, a leave, or a live process's periodic sweep of its rooms) deletes it and
// publishes its "leave". The scripts run atomically in Redis (EVAL), so a nickname is taken
// once (the check and the HSET are one step) and a dead member is reported once.
//
// Threads: everything here runs on the server's loop 0 (Server::post(0, ...)); callbacks are
// called there. The hiredis context is attached to loop 0 with hiredis's libuv adapter. Limit
// of Debian's hiredis 0.14 adapter: it ignores libuv poll errors (status < 0), so a socket
// error surfaces only when the next read or write on it fails; for an example this is fine.
// When Redis is unreachable a join is refused with an error (the page shows it) and the link
// is retried on the next refresh tick.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chat_room.h"

struct redisAsyncContext;

namespace uvws {
class Server;
namespace net {
class Timer;
}
}  // namespace uvws

namespace chat {

struct ClusterConfig {
  std::string url;     // redis://[user:password@]host:port[/db] or a Unix socket path
  std::string prefix;  // key prefix (the server's redis_prefix)
  std::chrono::seconds presence_ttl{10};
  Limits limits;
};

struct ClusterJoin {
  bool ok = false;
  std::string error;
  std::vector<std::string> members;  // the room's members on every live process
  std::vector<std::string> history;  // message JSON, oldest first, within the history limits
};

class Cluster {
 public:
  // Called on loop 0 for each member of a dead process removed from `room`, with the members
  // left; the application publishes the "leave".
  using Vanished = std::function<void(const std::string& room, const std::string& nick,
                                      const std::vector<std::string>& members)>;

  Cluster(uvws::Server& server, ClusterConfig config, Vanished vanished);
  // Leaves the hiredis context alone: the server's loop has closed its handle by then (net::Loop
  // closes every handle of the loop), and the process is exiting.
  ~Cluster();

  // Loop 0 only, after listen(): connects and starts the refresh timer (nothing after stop()).
  void start();
  // Loop 0 only, at shutdown: deletes this process's key (so that the other processes drop its
  // members at their next sweep), lets the commands sent finish, and closes the link. Needed
  // before the server stops: the hiredis handle and the timer would keep loop 0 running.
  void stop();
  // Loop 0 only. `done` is called once, on loop 0 (ok false with an error text when refused).
  void join(const std::string& room, const std::string& nick,
            std::function<void(ClusterJoin)> done);
  // Loop 0 only: removes `nick` (if this process owns it); `done` gets the members left.
  void leave(const std::string& room, const std::string& nick,
             std::function<void(std::vector<std::string>)> done);
  // Loop 0 only: adds a message (its JSON) to the room's history.
  void post(const std::string& room, const std::string& json);

  const std::string& id() const { return id_; }

 private:
  using Reply = std::function<void(void* reply)>;  // a redisReply*, nullptr on failure
  void connect();
  void tick();
  void command(std::vector<std::string> args, Reply done);
  void script(const char* body, const std::string& room, const std::string& nick, Reply done);
  std::vector<std::string> report_gone(const std::string& room, void* reply);
  static void on_connect(const redisAsyncContext* c, int status);
  static void on_disconnect(const redisAsyncContext* c, int status);

  uvws::Server& server_;
  ClusterConfig config_;
  Vanished vanished_;
  std::string id_;
  redisAsyncContext* ctx_ = nullptr;
  bool stopped_ = false;
  std::unique_ptr<uvws::net::Timer> timer_;
  std::map<std::string, std::size_t> rooms_;  // rooms with members on this process
};

}  // namespace chat
