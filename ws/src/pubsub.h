// Pub/sub glue: the one fan-out path for both publish calls, and the drain callback through
// which a loop's TopicRegistry writes to a connection. Private to ws/src.
//
// A message is framed once (make_frame) and reaches every loop: the calling loop's
// subscribers at once (when the caller is on a loop thread), the other loops through their
// task queues, posted in order, so one publisher's messages keep their order everywhere.
// The connection's own pub/sub verbs (Connection::subscribe, publish, ...) are in pubsub.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "topics.h"

namespace uvws::detail {

struct ServerShared;
struct LoopContext;

// `frame` to every subscriber of `topic` on every loop of the server. `here`: the calling
// loop's context when the caller runs on a loop thread of this server (its subscribers except
// `skip` get the frame now), or nullptr from any other thread (every loop gets a posted task).
// Loop 0 also hands it to its registry's remote publisher (the Redis bridge), once.
// Threads: any (`here` only from its own loop thread).
void fan_out(const ServerShared& shared, LoopContext* here, std::string_view topic,
             const SharedFrame& frame, const Subscriber* skip);
// The same to this process's subscribers only: a message that came from another process.
void deliver_local(const ServerShared& shared, LoopContext* here, std::string_view topic,
                   const SharedFrame& frame);

// The TopicRegistry's DrainFn for server connections (Subscriber::owner is the Connection).
void drain_to_connection(Subscriber& subscriber,
                         std::span<const std::span<const std::uint8_t>> frames);

}  // namespace uvws::detail
