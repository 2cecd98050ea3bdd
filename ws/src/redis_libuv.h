// hiredis on a libuv loop: our own adapter in place of <hiredis/adapters/libuv.h>. Private to
// ws/src.
//
// Why not hiredis's own: in hiredis 0.14 (Debian 12) its poll callback returns without a word
// when libuv reports an error, and libuv reports a socket error (POLLERR: a reset after Redis
// was killed while we wrote) that way after stopping the poll handle. hiredis then never learns
// that the link is dead, and the bridge would wait on it forever. Here an error is handed to
// hiredis as the events it waits for, so that its read or write fails and it disconnects (as
// hiredis 1.x's adapter does).
#pragma once

#include <uv.h>

struct redisAsyncContext;

namespace uvws::detail {

// Attaches `ac` (not attached yet) to `loop`; false when libuv refuses its socket.
bool attach_redis_to_libuv(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace uvws::detail
