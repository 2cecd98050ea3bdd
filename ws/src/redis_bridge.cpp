#include "redis_bridge.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>

#include "redis_envelope.h"
#include "redis_libuv.h"
#include "server_context.h"
#include "uvws/core/log.h"
#include "uvws/net/timer.h"

namespace uvws::detail {

namespace {

constexpr std::uint64_t backoff_min_ms = 50;
// The cap keeps a restarted Redis re-subscribed within about a second.
constexpr std::uint64_t backoff_max_ms = 1000;
// At shutdown the publish link is given this long to write what hiredis still holds.
constexpr std::uint64_t shutdown_grace_ms = 1000;

auto& logger() {
  return core::log(core::Layer::ws);
}

std::uint64_t random_origin() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

std::string anchor_channel(std::uint64_t origin) {
  char name[48];
  std::snprintf(name, sizeof name, "__uvws_bridge__:%016llx",
                static_cast<unsigned long long>(origin));
  return name;
}

std::string_view reply_text(const redisReply* r) {
  return r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

}  // namespace

RedisBridge::RedisBridge(ServerShared& shared, LoopContext& home)
    : shared_(shared),
      home_(home),
      url_(parse_redis_url(shared.options.redis)),
      prefix_(shared.options.redis_prefix),
      limit_(shared.options.redis_queue_bytes),
      origin_(random_origin()),
      anchor_(anchor_channel(origin_)) {
  sub_.bridge = pub_.bridge = this;
  sub_.name = "subscribe";
  pub_.name = "publish";
}

RedisBridge::~RedisBridge() {
  close();
}

void RedisBridge::start() {
  if (started_) return;
  started_ = true;
  sub_.timer = std::make_unique<net::Timer>(home_.loop);
  pub_.timer = std::make_unique<net::Timer>(home_.loop);
  home_.topics.set_remote(this);
  // From any loop thread: the count is read again on loop 0, whatever order the tasks of
  // several loops arrive in.
  LoopContext* home = &home_;
  shared_.topic_counts.set_edge_hook([home](std::string_view topic) {
    home->loop.post([home, name = std::string(topic)] {
      if (RemotePublisher* r = home->topics.remote()) static_cast<RedisBridge*>(r)->reconcile(name);
    });
  });
  logger().info("redis: bridge to {} (channels {}*, origin {:016x})", url_.address(), prefix_,
                origin_);
  connect(sub_);
  connect(pub_);
}

void RedisBridge::close() {
  stopping_ = true;
  if (started_) home_.topics.set_remote(nullptr);
  free_link(sub_);
  free_link(pub_);
  sub_.timer.reset();
  pub_.timer.reset();
  drop_queue();
  update_connected();
}

void RedisBridge::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  sub_.timer->stop();
  pub_.timer->stop();
  drop_queue();
  free_link(sub_);
  if (pub_.ready && pub_.ac->replies.head != nullptr) {
    // The publishes already handed to hiredis are written first: it closes once their replies
    // are in (on_disconnect), or a Redis that does not answer gets a grace period.
    redisAsyncDisconnect(pub_.ac);
    pub_.timer->start(shutdown_grace_ms, [this] { free_link(pub_); });
  } else {
    free_link(pub_);
  }
}

void RedisBridge::free_link(Link& l) {
  // hiredis runs on_disconnect only for a context that had connected: the pointer is
  // forgotten here for the others (still connecting, or authenticating).
  redisAsyncContext* ac = l.ac;
  l.ac = nullptr;
  l.ready = false;
  if (ac != nullptr) redisAsyncFree(ac);
}

// ---------------------------------------------------------------------------------------
// Links

void RedisBridge::connect(Link& l) {
  if (stopping_) return;
  redisAsyncContext* ac = url_.unix_path.empty() ? redisAsyncConnect(url_.host.c_str(), url_.port)
                                                 : redisAsyncConnectUnix(url_.unix_path.c_str());
  if (ac == nullptr) return retry(l, "out of memory", false);
  if (ac->err != 0) {
    const std::string why = ac->errstr;
    redisAsyncFree(ac);
    return retry(l, why, false);
  }
  ac->data = &l;
  if (!attach_redis_to_libuv(ac, home_.loop.uv())) {
    redisAsyncFree(ac);
    return retry(l, "cannot attach to the loop", false);
  }
  redisAsyncSetConnectCallback(ac, &on_connect);
  redisAsyncSetDisconnectCallback(ac, &on_disconnect);
  l.ac = ac;
}

void RedisBridge::retry(Link& l, std::string_view why, bool lost) {
  if (stopping_) return;
  ++l.failures;
  if (lost) {
    logger().warn("redis: {} link to {} lost ({}); reconnecting", l.name, url_.address(), why);
  } else if (l.failures == 1 || l.failures % 60 == 0) {
    // The first failure, then about once a minute at the capped backoff.
    logger().warn("redis: {} link: cannot connect to {} ({}); attempt {}, retrying", l.name,
                  url_.address(), why, l.failures);
  }
  l.backoff_ms = l.backoff_ms == 0 ? backoff_min_ms : std::min(l.backoff_ms * 2, backoff_max_ms);
  l.timer->start(l.backoff_ms, [this, &l] { connect(l); });
}

void RedisBridge::on_connect(const redisAsyncContext* c, int status) {
  Link& l = *static_cast<Link*>(c->data);
  RedisBridge& b = *l.bridge;
  if (status != REDIS_OK) {
    l.ac = nullptr;  // hiredis frees it after this callback
    return b.retry(l, c->errstr, false);
  }
  // TCP: a peer gone without a word is noticed too. Not on a Unix socket, which has no
  // keepalive: the call would fail the link (EOPNOTSUPP).
  if (b.url_.unix_path.empty()) redisEnableKeepAlive(&l.ac->c);
  if (b.url_.password.empty()) return b.ready(l);
  const RedisUrl& u = b.url_;
  if (u.user.empty()) {
    redisAsyncCommand(l.ac, &on_auth, &l, "AUTH %b", u.password.data(), u.password.size());
  } else {
    redisAsyncCommand(l.ac, &on_auth, &l, "AUTH %b %b", u.user.data(), u.user.size(),
                      u.password.data(), u.password.size());
  }
}

void RedisBridge::on_auth(redisAsyncContext* ac, void* r, void* link) {
  auto* reply = static_cast<redisReply*>(r);
  Link& l = *static_cast<Link*>(link);
  if (reply == nullptr) return;  // the link went first
  if (reply->type == REDIS_REPLY_ERROR) {
    logger().error(
        "redis: AUTH failed on {} ({}): check the user and password of "
        "ServerOptions::redis; retrying",
        l.bridge->url_.address(), reply_text(reply));
    redisAsyncDisconnect(ac);  // on_disconnect retries with the backoff
    return;
  }
  l.bridge->ready(l);
}

void RedisBridge::on_disconnect(const redisAsyncContext* c, int status) {
  Link& l = *static_cast<Link*>(c->data);
  RedisBridge& b = *l.bridge;
  const bool was_ready = l.ready;
  l.ac = nullptr;  // hiredis frees it after this callback
  l.ready = false;
  b.update_connected();
  if (&l == &b.sub_) {
    // Redis forgot our subscriptions with the link: every wanted topic is subscribed again.
    for (auto& [name, state] : b.topics_) state = State::none;
  }
  if (b.stopping_) {
    if (&l == &b.pub_ && l.timer) l.timer->stop();
    return;
  }
  if (was_ready) l.backoff_ms = 0;  // the first attempt soon: Redis may be back already
  b.retry(l, status == REDIS_OK ? "closed" : c->errstr, was_ready);
}

void RedisBridge::ready(Link& l) {
  l.ready = true;
  if (l.ever_ready) {
    counters_.reconnects.fetch_add(1, std::memory_order_relaxed);
    logger().warn("redis: {} link to {} is back", l.name, url_.address());
  } else if (l.failures > 0) {
    logger().info("redis: {} link connected to {} after {} attempts", l.name, url_.address(),
                  l.failures + 1);
  }
  l.ever_ready = true;
  l.failures = 0;
  l.backoff_ms = 0;
  update_connected();
  if (&l == &pub_) return drain_queue();
  // First the anchor: a channel of this process's own, subscribed as long as the link lives, so
  // that the link never leaves subscribe mode. hiredis before 1.0 leaves it on an UNSUBSCRIBE
  // reply whose count is 0 even when SUBSCRIBEs are still on their way (a topic subscribed
  // while the last other one leaves), and then cannot route their replies and messages
  // (hiredis 1.0 counts the pending ones).
  channel_ = anchor_;
  send_channel("SUBSCRIBE");
  // Every topic with subscribers here, one SUBSCRIBE each (pipelined by hiredis).
  std::vector<std::string> names;
  names.reserve(topics_.size());
  for (auto& [name, state] : topics_) names.push_back(name);
  for (const std::string& name : names) reconcile(name);
}

void RedisBridge::update_connected() {
  counters_.connected.store(sub_.ready && pub_.ready, std::memory_order_relaxed);
}

RedisStats RedisBridge::stats() const {
  RedisStats s;
  s.connected = counters_.connected.load(std::memory_order_relaxed);
  s.published = counters_.published.load(std::memory_order_relaxed);
  s.received = counters_.received.load(std::memory_order_relaxed);
  s.dropped = counters_.dropped.load(std::memory_order_relaxed);
  s.gaps = counters_.gaps.load(std::memory_order_relaxed);
  s.lost = counters_.lost.load(std::memory_order_relaxed);
  s.reconnects = counters_.reconnects.load(std::memory_order_relaxed);
  return s;
}

// ---------------------------------------------------------------------------------------
// Publishing

std::size_t RedisBridge::pending_bytes() const {
  const std::size_t in_hiredis = pub_.ac != nullptr ? sdslen(pub_.ac->c.obuf) : 0;
  return in_hiredis + queue_.size();
}

void RedisBridge::publish(std::string_view topic, const SharedFrame& frame) {
  auto it = sequences_.find(topic);
  if (it == sequences_.end()) it = sequences_.emplace(std::string(topic), 0).first;
  const std::uint64_t sequence = ++it->second;  // taken even when dropped: receivers count it
  const Envelope m = frame_contents(frame->plain());
  // The command in the Redis protocol (RESP), so that hiredis copies it as it is:
  // *3 $7 PUBLISH $<n> <channel> $<m> <envelope>.
  command_.assign("*3\r\n$7\r\nPUBLISH\r\n$");
  append_number(command_, prefix_.size() + topic.size());
  command_.append("\r\n").append(prefix_).append(topic).append("\r\n$");
  append_number(command_, envelope_header_size + m.payload.size());
  command_.append("\r\n");
  const std::size_t header_at = command_.size();
  command_.resize(header_at + envelope_header_size);
  write_envelope_header(reinterpret_cast<std::uint8_t*>(command_.data() + header_at), origin_,
                        sequence, m.opcode);
  command_.append(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  command_.append("\r\n");
  if (stopping_ || pending_bytes() + command_.size() + 4 > limit_) {
    counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    if (command_.capacity() > (1u << 20)) command_ = {};
    return;
  }
  counters_.published.fetch_add(1, std::memory_order_relaxed);
  if (pub_.ready) {
    redisAsyncFormattedCommand(pub_.ac, &on_publish_reply, this, command_.data(), command_.size());
  } else {
    const auto n = static_cast<std::uint32_t>(command_.size());
    const auto* len = reinterpret_cast<const std::uint8_t*>(&n);
    queue_.insert(queue_.end(), len, len + sizeof n);
    queue_.insert(queue_.end(), command_.begin(), command_.end());
    ++queued_;
  }
  if (command_.capacity() > (1u << 20)) command_ = {};  // a large message's capacity goes back
}

void RedisBridge::on_publish_reply(redisAsyncContext*, void* r, void* bridge) {
  auto* reply = static_cast<redisReply*>(r);
  auto& b = *static_cast<RedisBridge*>(bridge);
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return;
  if (!b.publish_error_logged_) {
    b.publish_error_logged_ = true;  // once: one per message would flood the log
    logger().error("redis: PUBLISH failed: {}", reply_text(reply));
  }
}

void RedisBridge::drain_queue() {
  std::size_t at = 0;
  while (at < queue_.size()) {
    std::uint32_t n = 0;
    std::memcpy(&n, queue_.data() + at, sizeof n);
    at += sizeof n;
    redisAsyncFormattedCommand(pub_.ac, &on_publish_reply, this,
                               reinterpret_cast<const char*>(queue_.data() + at), n);
    at += n;
  }
  if (queued_ > 0) logger().info("redis: {} publish(es) made while Redis was away sent", queued_);
  queue_.clear();
  queued_ = 0;
  if (queue_.capacity() > (1u << 20)) queue_ = {};
}

void RedisBridge::drop_queue() {
  if (queued_ > 0) {
    counters_.dropped.fetch_add(queued_, std::memory_order_relaxed);
    logger().warn("redis: {} queued publish(es) dropped at shutdown", queued_);
  }
  queue_ = {};
  queued_ = 0;
}

}  // namespace uvws::detail
