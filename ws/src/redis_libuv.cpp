#include "redis_libuv.h"

#include <hiredis/async.h>

namespace uvws::detail {

namespace {

struct Events {
  redisAsyncContext* context;
  uv_poll_t handle;
  int events = 0;
};

void on_poll(uv_poll_t* handle, int status, int events) {
  auto* e = static_cast<Events*>(handle->data);
  // An error: hiredis finds it when it reads or writes what it was waiting for.
  const int ready = status < 0 ? e->events : events;
  if (e->context != nullptr && (ready & UV_READABLE) != 0) redisAsyncHandleRead(e->context);
  // The read may have freed the context (cleanup cleared the pointer).
  if (e->context != nullptr && (ready & UV_WRITABLE) != 0) redisAsyncHandleWrite(e->context);
}

void update(Events* e, int events) {
  e->events = events;
  if (events != 0) {
    uv_poll_start(&e->handle, events, &on_poll);
  } else {
    uv_poll_stop(&e->handle);
  }
}

void add_read(void* p) {
  auto* e = static_cast<Events*>(p);
  update(e, e->events | UV_READABLE);
}

void del_read(void* p) {
  auto* e = static_cast<Events*>(p);
  update(e, e->events & ~UV_READABLE);
}

void add_write(void* p) {
  auto* e = static_cast<Events*>(p);
  update(e, e->events | UV_WRITABLE);
}

void del_write(void* p) {
  auto* e = static_cast<Events*>(p);
  update(e, e->events & ~UV_WRITABLE);
}

// hiredis frees the context: the handle goes with it, once libuv has closed it.
void cleanup(void* p) {
  auto* e = static_cast<Events*>(p);
  e->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&e->handle),
           [](uv_handle_t* h) { delete static_cast<Events*>(h->data); });
}

}  // namespace

bool attach_redis_to_libuv(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* e = new Events{ac, {}, 0};
  if (uv_poll_init(loop, &e->handle, ac->c.fd) != 0) {
    delete e;
    return false;
  }
  e->handle.data = e;
  ac->ev.data = e;
  ac->ev.addRead = &add_read;
  ac->ev.delRead = &del_read;
  ac->ev.addWrite = &add_write;
  ac->ev.delWrite = &del_write;
  ac->ev.cleanup = &cleanup;
  return true;
}

}  // namespace uvws::detail
