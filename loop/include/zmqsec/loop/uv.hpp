// streams, socket_watches and loop_authenticator on a libuv loop (libuv1-dev). Header-only; the
// build tree's target zmqsec::loop_uv links libuv.
//
//   uv_loop_t* uv = uv_default_loop();
//   {
//     zmqsec::loop::uv_loop loop{uv};
//     zmqsec::loop::stream s{loop, zmq::socket_t{ctx, zmq::socket_type::pull}};
//     ...
//     loop.run();                   // uv_run until uv_stop(uv) (the post handle keeps it alive)
//   }
//   uv_run(uv, UV_RUN_NOWAIT);      // lets the closed handles go
//
// ZMQ_FD is watched with a uv_poll_t (level-triggered, libuv's epoll backend); posts go through
// a queue and a uv_async_t, or, when posted from inside one of this adapter's callbacks (the
// socket_watch's next turn after a batch), a uv_idle_t: the loop runs them on its next turn
// without an eventfd write and a wake-up of its own. libuv frees a handle only in a close callback
// on its loop, so handles and the adapter close theirs and the loop must run once more before
// uv_loop_close(). in_loop_thread() is true on the thread that last ran one of this adapter's
// callbacks (libuv does not say which thread runs a loop).
//
// Exceptions: a callback's exception must not unwind through uv_run (libuv's C frames): libuv
// keeps a pointer to its stack array of events in loop->watchers[nwatchers] while it calls
// back, and clears it only on a normal return, so a uv_poll_stop() before the next run would
// write through a dangling pointer. The adapter's trampolines catch it, uv_stop() the loop and
// keep it; run() rethrows it once uv_run has returned. A program that calls uv_run itself
// gets the exception from its next run() (or loses it: call run()).
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <zmqsec/error.hpp>
#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

class uv_loop final : public event_loop {
 public:
  /// Throws zmqsec::error if libuv refuses the post handle.
  explicit uv_loop(uv_loop_t* loop) : loop_(loop), posts_(new post_box) {
    posts_->owner = this;
    if (int rc = uv_async_init(loop_, &posts_->async, &uv_loop::on_posted); rc != 0) {
      delete posts_;
      throw zmqsec::error(errc::invalid_argument,
                          std::string("uv_loop: uv_async_init: ") + uv_strerror(rc));
    }
    posts_->async.data = posts_;
    uv_idle_init(loop_, &posts_->idle);  // cannot fail: it only links the handle in
    posts_->idle.data = posts_;
    thread_.store(std::this_thread::get_id());
  }
  uv_loop(const uv_loop&) = delete;
  uv_loop& operator=(const uv_loop&) = delete;
  /// Ends the spawned coroutines and async_sockets on it (see loop_lifetime.hpp), closes the
  /// post handle; tasks not yet run are dropped.
  ~uv_loop() override {
    end_lifetime();
    {
      std::lock_guard lock(posts_->mutex);
      posts_->owner = nullptr;
      posts_->tasks.clear();
    }
    // The box goes with the second of its two handles.
    auto close_one = [](uv_handle_t* h) {
      auto* box = static_cast<post_box*>(h->data);
      if (++box->closed == 2) delete box;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&posts_->async), close_one);
    uv_close(reinterpret_cast<uv_handle_t*>(&posts_->idle), close_one);
  }

  uv_loop_t* native() const noexcept { return loop_; }

  /// uv_run(native(), mode), then rethrows the first exception a callback threw (the callback
  /// stopped the loop). Returns uv_run's result.
  int run(uv_run_mode mode = UV_RUN_DEFAULT) {
    const int result = uv_run(loop_, mode);
    if (auto error = std::exchange(error_, nullptr)) std::rethrow_exception(error);
    return result;
  }

  void post(task fn) override {
    {
      std::lock_guard lock(posts_->mutex);
      posts_->tasks.push_back(std::move(fn));
    }
    // One queue either way, so that tasks keep the order they were posted in.
    if (callback_scope::running == this) {
      uv_idle_start(&posts_->idle, &uv_loop::on_idle);  // idempotent
    } else {
      uv_async_send(&posts_->async);
    }
  }

  handle watch_fd(int fd, io_events events, std::function<void(io_events)> on_ready) override {
    auto* box = new poll_box{{}, this, std::move(on_ready)};
    if (int rc = uv_poll_init(loop_, &box->poll, fd); rc != 0) {
      delete box;
      throw zmqsec::error(std::error_code(-rc, std::generic_category()),
                          std::string("uv_loop: cannot watch fd: ") + uv_strerror(rc));
    }
    box->poll.data = box;
    int mask = (any(events & io_events::readable) ? UV_READABLE : 0) |
               (any(events & io_events::writable) ? UV_WRITABLE : 0);
    uv_poll_start(&box->poll, mask, &uv_loop::on_poll);
    return handle(std::make_unique<poll_handle>(box));
  }

  handle call_later(duration delay, task fn) override {
    return start_timer(delay, {}, std::move(fn));
  }

  handle call_every(duration interval, task fn) override {
    if (interval <= duration::zero()) {
      throw zmqsec::error(errc::invalid_argument, "uv_loop: call_every needs a positive interval");
    }
    return start_timer(interval, interval, std::move(fn));
  }

  bool in_loop_thread() const noexcept override {
    return thread_.load() == std::this_thread::get_id();
  }

 private:
  struct post_box {
    uv_async_t async;
    uv_idle_t idle;  // started by posts from inside a callback; stops when the queue is empty
    std::mutex mutex;
    std::deque<task> tasks;
    uv_loop* owner = nullptr;
    int closed = 0;  // handles closed, of two
  };
  // Which adapter's callback this thread is in (a thread_local: libuv does not say which thread
  // runs a loop, and a post from the loop thread outside the adapter's callbacks, or from a
  // thread that once ran it, must still wake the loop).
  class callback_scope {
   public:
    explicit callback_scope(const uv_loop* loop) noexcept : saved_(running) { running = loop; }
    ~callback_scope() { running = saved_; }
    callback_scope(const callback_scope&) = delete;
    callback_scope& operator=(const callback_scope&) = delete;
    static inline thread_local const uv_loop* running = nullptr;

   private:
    const uv_loop* saved_;
  };
  struct poll_box {
    uv_poll_t poll;
    uv_loop* owner;
    std::function<void(io_events)> on_ready;
  };
  struct timer_box {
    uv_timer_t timer;
    uv_loop* owner;
    task fn;
  };

  static void close_and_delete(uv_handle_t* h) {
    uv_close(h, [](uv_handle_t* closed) {
      // The handle is inside the box: read its type before the box goes.
      if (closed->type == UV_POLL) {
        delete static_cast<poll_box*>(closed->data);
      } else if (closed->type == UV_TIMER) {
        delete static_cast<timer_box*>(closed->data);
      }
    });
  }

  class poll_handle final : public handle::impl {
   public:
    explicit poll_handle(poll_box* box) noexcept : box_(box) {}
    void cancel() noexcept override {
      uv_poll_stop(&box_->poll);  // the box (and a callback running now) lives until closed
      close_and_delete(reinterpret_cast<uv_handle_t*>(&box_->poll));
    }

   private:
    poll_box* box_;
  };

  class timer_handle final : public handle::impl {
   public:
    explicit timer_handle(timer_box* box) noexcept : box_(box) {}
    void cancel() noexcept override {
      uv_timer_stop(&box_->timer);
      close_and_delete(reinterpret_cast<uv_handle_t*>(&box_->timer));
    }

   private:
    timer_box* box_;
  };

  static std::uint64_t to_ms(duration d) {
    return static_cast<std::uint64_t>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
  }

  handle start_timer(duration delay, duration interval, task fn) {
    auto* box = new timer_box{{}, this, std::move(fn)};
    uv_timer_init(loop_, &box->timer);
    box->timer.data = box;
    uv_timer_start(
        &box->timer,
        [](uv_timer_t* t) {
          auto* b = static_cast<timer_box*>(t->data);
          uv_loop* owner = b->owner;
          owner->thread_.store(std::this_thread::get_id());
          const callback_scope scope(owner);
          try {
            b->fn();
          } catch (...) {
            owner->keep_error();
          }
        },
        to_ms(delay), to_ms(interval));
    return handle(std::make_unique<timer_handle>(box));
  }

  static void on_poll(uv_poll_t* p, int status, int events) {
    auto* box = static_cast<poll_box*>(p->data);
    box->owner->thread_.store(std::this_thread::get_id());
    io_events what = io_events::none;
    if (status < 0 || (events & UV_READABLE) != 0) what = what | io_events::readable;
    if (status < 0 || (events & UV_WRITABLE) != 0) what = what | io_events::writable;
    uv_loop* owner = box->owner;  // the callback may cancel the watch (the box stays till closed)
    const callback_scope scope(owner);
    try {
      box->on_ready(what);
    } catch (...) {
      owner->keep_error();
    }
  }

  static void on_posted(uv_async_t* a) { run_posted(static_cast<post_box*>(a->data)); }
  static void on_idle(uv_idle_t* i) { run_posted(static_cast<post_box*>(i->data)); }

  // The tasks queued now (those they post wait for the next turn).
  static void run_posted(post_box* box) {
    std::deque<task> tasks;
    {
      std::lock_guard lock(box->mutex);
      if (box->owner == nullptr) return;
      box->owner->thread_.store(std::this_thread::get_id());
      tasks.swap(box->tasks);
      if (tasks.empty()) uv_idle_stop(&box->idle);
    }
    uv_loop* owner = box->owner;
    const callback_scope scope(owner);
    while (!tasks.empty()) {
      task fn = std::move(tasks.front());
      tasks.pop_front();
      try {
        fn();
      } catch (...) {
        // The rest run on the next turn, before what was posted since, in their order.
        std::lock_guard lock(box->mutex);
        if (box->owner != nullptr) {
          std::move(box->tasks.begin(), box->tasks.end(), std::back_inserter(tasks));
          box->tasks.swap(tasks);
          uv_async_send(&box->async);
        }
        owner->keep_error();
        return;
      }
    }
  }

  // Called in a catch block of a trampoline: keeps the first exception and stops the loop.
  void keep_error() noexcept {
    if (!error_) error_ = std::current_exception();
    uv_stop(loop_);
  }

  uv_loop_t* loop_;
  post_box* posts_;
  std::atomic<std::thread::id> thread_;
  std::exception_ptr error_;  // loop thread only
};

}  // namespace zmqsec::loop
