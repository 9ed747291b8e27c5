// What zmqsec needs of an event loop, so that the same stream, socket_watch and
// loop_authenticator run on the embedded reactor, on an asio::io_context and on a uv_loop_t:
// run a task on the loop's thread (post, from any thread), call back when a file descriptor is
// ready, and call back after a delay.
//
//   zmqsec::loop::reactor loop;                     // or asio_loop{io}, uv_loop{uv_default_loop()}
//   zmqsec::loop::handle tick = loop.call_every(100ms, [] { std::puts("tick"); });
//   loop.post([] { std::puts("on the loop thread"); });
//
// Threads: post() may be called from any thread. Everything else (watches, timers, cancelling
// a handle) belongs to the thread that runs the loop, or to any one thread while the loop does
// not run. A handle may be cancelled or destroyed inside its own callback.
//
// fd watches may be edge-triggered (Asio's epoll reactor is): on_ready is called at least once
// after fd becomes ready following the previous call, so a callback must drain what it can. For
// ZeroMQ sockets use socket_watch, which does the ZMQ_EVENTS bookkeeping that ZMQ_FD needs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include <zmqsec/loop/loop_lifetime.hpp>

namespace zmqsec::loop {

/// Readiness of a file descriptor.
enum class io_events : unsigned {
  none = 0,
  readable = 1,
  writable = 2,
};
constexpr io_events operator|(io_events a, io_events b) noexcept {
  return static_cast<io_events>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr io_events operator&(io_events a, io_events b) noexcept {
  return static_cast<io_events>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr bool any(io_events e) noexcept {
  return e != io_events::none;
}

/// A watch or a timer. Destroying the handle (or cancel()) ends it; a default handle holds
/// nothing. Move-only.
class handle {
 public:
  /// What a loop implements for each watch or timer.
  class impl {
   public:
    virtual ~impl() = default;
    /// Ends the watch or timer: its callback is not called after this returns.
    virtual void cancel() noexcept = 0;
  };

  handle() noexcept = default;
  explicit handle(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
  handle(handle&&) noexcept = default;
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      cancel();
      impl_ = std::move(other.impl_);
    }
    return *this;
  }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  ~handle() { cancel(); }

  void cancel() noexcept {
    if (impl_) std::exchange(impl_, nullptr)->cancel();
  }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  std::unique_ptr<impl> impl_;
};

/// An event loop as zmqsec uses it. reactor implements it; asio_loop and uv_loop adapt
/// asio::io_context and uv_loop_t.
class event_loop {
 public:
  using task = std::function<void()>;
  using duration = std::chrono::steady_clock::duration;

  virtual ~event_loop() = default;

  /// Runs fn on the loop's thread after the callbacks already under way; tasks run in the order
  /// they were posted. Any thread; never blocks on the loop.
  virtual void post(task fn) = 0;

  /// Calls on_ready with what fd is ready for, among events (see the top for edges). The fd
  /// stays the caller's: cancelling the watch never closes it. One watch per fd.
  [[nodiscard]] virtual handle watch_fd(int fd, io_events events,
                                        std::function<void(io_events)> on_ready) = 0;

  /// Calls fn once, after delay.
  [[nodiscard]] virtual handle call_later(duration delay, task fn) = 0;

  /// Calls fn every interval (the next call is planned from the time this one was due).
  [[nodiscard]] virtual handle call_every(duration interval, task fn) = 0;

  /// True on the thread that is running the loop.
  virtual bool in_loop_thread() const noexcept = 0;

  /// The spawned coroutines and async_sockets on this loop, which end with it (see
  /// loop_lifetime.hpp). Shared: an async_socket may outlive its loop and must know it is gone.
  const std::shared_ptr<detail::loop_lifetime>& lifetime() const noexcept { return lifetime_; }

 protected:
  /// Every loop's destructor calls this first, while the loop still works: async_sockets let go
  /// of their waiting operations without resuming them, frames of spawned coroutines are
  /// destroyed (so they neither leak nor resume after the loop is gone).
  void end_lifetime() noexcept { lifetime_->end(); }

 private:
  std::shared_ptr<detail::loop_lifetime> lifetime_ = std::make_shared<detail::loop_lifetime>();
};

}  // namespace zmqsec::loop
