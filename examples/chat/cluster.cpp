#include "cluster.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "uvws/net/loop.h"
#include "uvws/net/timer.h"
#include "uvws/server.h"

namespace chat {

namespace {

// The part every script shares. ARGV: [1] nick ("" for a sweep), [2] this process's id,
// [3] the process key prefix, [4] the members hash's lifetime in seconds, [5] history count.
// list() returns the members whose process is alive and deletes (and returns) the others.
constexpr const char* kCommon = R"lua(
local function alive(p) return p == ARGV[2] or redis.call('EXISTS', ARGV[3] .. p) == 1 end
local function list()
  local members, gone = {}, {}
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if alive(all[i + 1]) then members[#members + 1] = all[i]
    else redis.call('HDEL', KEYS[1], all[i]); gone[#gone + 1] = all[i] end
  end
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return members, gone
end
)lua";

// Takes the nickname unless a live process holds it; returns {1, members, gone, history}.
constexpr const char* kJoin = R"lua(
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and alive(owner) then return {0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local members, gone = list()
local history = {}
if tonumber(ARGV[5]) > 0 then history = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[5]) - 1) end
return {1, members, gone, history}
)lua";

// Gives the nickname back if this process holds it; returns {1, members, gone}.
constexpr const char* kLeave = R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
local members, gone = list()
return {1, members, gone}
)lua";

constexpr const char* kSweep = R"lua(
local members, gone = list()
return {1, members, gone}
)lua";

std::vector<std::string> strings(const redisReply* r) {
  std::vector<std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type == REDIS_REPLY_STRING) out.emplace_back(e->str, e->len);
  }
  return out;
}

bool script_ok(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
         r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 1;
}

struct Address {
  std::string host;  // or a Unix socket path when port is 0
  int port = 0;
  std::string user, password, db;
};

// redis://[user:password@]host:port[/db], or a path (a Unix socket).
Address parse_url(const std::string& url) {
  Address a;
  const std::string scheme = "redis://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    a.host = url;
    return a;
  }
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    a.db = rest.substr(slash + 1);
    rest.resize(slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string info = rest.substr(0, at);
    rest.erase(0, at + 1);
    const auto colon = info.find(':');
    a.user = colon == std::string::npos ? std::string() : info.substr(0, colon);
    a.password = colon == std::string::npos ? info : info.substr(colon + 1);
  }
  const auto colon = rest.rfind(':');
  a.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  a.port = colon == std::string::npos ? 6379 : std::stoi(rest.substr(colon + 1));
  return a;
}

}  // namespace

Cluster::Cluster(uvws::Server& server, ClusterConfig config, Vanished vanished)
    : server_(server), config_(std::move(config)), vanished_(std::move(vanished)) {
  std::random_device random;
  char id[40];
  std::snprintf(id, sizeof id, "%d-%08x%08x", static_cast<int>(::getpid()), random(), random());
  id_ = id;
}

Cluster::~Cluster() = default;

void Cluster::start() {
  if (stopped_) return;  // a signal came first: nothing to start
  timer_ = std::make_unique<uvws::net::Timer>(server_.loop(0));
  tick();
}

void Cluster::stop() {
  if (stopped_) return;  // a second signal
  stopped_ = true;
  if (timer_) timer_->stop();
  if (ctx_ == nullptr) return;
  command({"DEL", config_.prefix + "chat:proc:" + id_}, [](void*) {});
  redisAsyncDisconnect(ctx_);  // after the replies pending; on_disconnect forgets the context
}

void Cluster::connect() {
  const Address a = parse_url(config_.url);
  ctx_ = a.port == 0 ? redisAsyncConnectUnix(a.host.c_str())
                     : redisAsyncConnect(a.host.c_str(), a.port);
  if (ctx_ == nullptr || ctx_->err != 0) {
    std::fprintf(stderr, "uvws-chat: redis: %s\n", ctx_ ? ctx_->errstr : "out of memory");
    if (ctx_ != nullptr) redisAsyncFree(ctx_);
    ctx_ = nullptr;
    return;
  }
  ctx_->data = this;
  redisLibuvAttach(ctx_, server_.loop(0).uv());
  redisAsyncSetConnectCallback(ctx_, &Cluster::on_connect);
  redisAsyncSetDisconnectCallback(ctx_, &Cluster::on_disconnect);
  // Commands given before the connection is up are sent once it is: AUTH and SELECT first.
  if (!a.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!a.user.empty()) auth.push_back(a.user);
    auth.push_back(a.password);
    command(auth, [](void*) {});
  }
  if (!a.db.empty()) command({"SELECT", a.db}, [](void*) {});
}

void Cluster::on_connect(const redisAsyncContext* c, int status) {
  if (status == REDIS_OK) return;
  // hiredis frees the context after a failed connect: forget it, the next tick retries.
  auto* self = static_cast<Cluster*>(c->data);
  std::fprintf(stderr, "uvws-chat: redis: %s\n", c->errstr);
  if (self->ctx_ == c) self->ctx_ = nullptr;
}

void Cluster::on_disconnect(const redisAsyncContext* c, int) {
  auto* self = static_cast<Cluster*>(c->data);
  if (self->ctx_ == c) self->ctx_ = nullptr;  // hiredis frees it on return
}

// Every TTL/3: (re)connect, renew this process's key, and sweep the rooms it has members in,
// so that the members of a process that died leave within the TTL plus one tick.
void Cluster::tick() {
  if (stopped_) return;
  if (ctx_ == nullptr) connect();
  const auto ttl = config_.presence_ttl.count();
  command({"SET", config_.prefix + "chat:proc:" + id_, "1", "EX", std::to_string(ttl)},
          [](void*) {});
  for (const auto& [room, count] : rooms_) {
    script(kSweep, room, "", [this, room = room](void* r) { report_gone(room, r); });
  }
  timer_->start(static_cast<std::uint64_t>(std::max<std::int64_t>(ttl * 1000 / 3, 100)),
                [this] { tick(); });
}

void Cluster::command(std::vector<std::string> args, Reply done) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
    lens.push_back(a.size());
  }
  auto* callback = new Reply(std::move(done));
  const auto fn = [](redisAsyncContext*, void* reply, void* data) {
    std::unique_ptr<Reply> owned(static_cast<Reply*>(data));
    const auto* r = static_cast<redisReply*>(reply);
    (*owned)(r != nullptr && r->type == REDIS_REPLY_ERROR ? nullptr : reply);
  };
  if (ctx_ == nullptr || redisAsyncCommandArgv(ctx_, fn, callback, static_cast<int>(args.size()),
                                               argv.data(), lens.data()) != REDIS_OK) {
    std::unique_ptr<Reply> owned(callback);
    (*owned)(nullptr);
  }
}

void Cluster::script(const char* body, const std::string& room, const std::string& nick,
                     Reply done) {
  const std::string base = config_.prefix + "chat:" + room;
  command({"EVAL", std::string(kCommon) + body, "2", base + ":members", base + ":history", nick,
           id_, config_.prefix + "chat:proc:", std::to_string(3 * config_.presence_ttl.count()),
           std::to_string(config_.limits.history)},
          std::move(done));
}

// Reports the members of dead processes that a script removed; returns the members left.
std::vector<std::string> Cluster::report_gone(const std::string& room, void* reply) {
  const auto* r = static_cast<redisReply*>(reply);
  if (!script_ok(r) || r->elements < 3) return {};
  std::vector<std::string> members = strings(r->element[1]);
  for (const auto& nick : strings(r->element[2])) vanished_(room, nick, members);
  return members;
}

void Cluster::join(const std::string& room, const std::string& nick,
                   std::function<void(ClusterJoin)> done) {
  script(kJoin, room, nick, [this, room, nick, done = std::move(done)](void* reply) {
    const auto* r = static_cast<redisReply*>(reply);
    ClusterJoin result;
    if (r == nullptr) {
      result.error = "the shared room store (Redis) is unavailable; try again";
    } else if (!script_ok(r) || r->elements < 4) {
      result.error = "the nickname \"" + nick + "\" is taken in this room";
    } else {
      result.ok = true;
      ++rooms_[room];
      result.members = report_gone(room, reply);
      // Newest first from Redis: keep the newest that fit history_bytes, then oldest first.
      std::size_t bytes = 0;
      for (auto& m : strings(r->element[3])) {
        bytes += m.size();
        if (bytes > config_.limits.history_bytes) break;
        result.history.push_back(std::move(m));
      }
      std::reverse(result.history.begin(), result.history.end());
    }
    done(std::move(result));
  });
}

void Cluster::leave(const std::string& room, const std::string& nick,
                    std::function<void(std::vector<std::string>)> done) {
  if (auto it = rooms_.find(room); it != rooms_.end() && --it->second == 0) rooms_.erase(it);
  script(kLeave, room, nick,
         [this, room, done = std::move(done)](void* reply) { done(report_gone(room, reply)); });
}

void Cluster::post(const std::string& room, const std::string& json) {
  const auto& l = config_.limits;
  if (l.history == 0 || l.history_ttl.count() == 0 || json.size() > l.history_bytes) return;
  const std::string key = config_.prefix + "chat:" + room + ":history";
  command({"LPUSH", key, json}, [](void*) {});
  command({"LTRIM", key, "0", std::to_string(l.history - 1)}, [](void*) {});
  command({"EXPIRE", key, std::to_string(l.history_ttl.count())}, [](void*) {});
}

}  // namespace chat
