// streams, socket_watches and loop_authenticator on a standalone Asio io_context (libasio-dev).
// Header-only; the build tree's target zmqsec::loop_asio adds Asio's needs (threads).
//
//   asio::io_context io;
//   zmqsec::loop::asio_loop loop{io};
//   zmqsec::loop::stream s{loop, zmq::socket_t{ctx, zmq::socket_type::pull}};
//   s.on_recv([](zmqsec::loop::message& m) { ... });
//   io.run();                       // returns when nothing is left to watch, as Asio does
//
// ZMQ_FD is watched with a posix::stream_descriptor that is released, never closed: the fd is
// libzmq's. Asio's epoll reactor is edge-triggered, so each wait is started again before the
// callback runs; socket_watch's reading of ZMQ_EVENTS after the callback then covers every edge.
// The io_context must outlive the asio_loop and every handle it gave.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>

#include <asio/async_result.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <zmqsec/error.hpp>
#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

class asio_loop final : public event_loop {
 public:
  explicit asio_loop(asio::io_context& io) noexcept : io_(io) {}
  asio_loop(const asio_loop&) = delete;
  asio_loop& operator=(const asio_loop&) = delete;
  /// Ends the spawned coroutines and async_sockets on it (see loop_lifetime.hpp); handlers
  /// already posted to the io_context stay there and find the loop ended.
  ~asio_loop() override { end_lifetime(); }

  asio::io_context& context() const noexcept { return io_; }

  void post(task fn) override { asio::post(io_, std::move(fn)); }

  handle watch_fd(int fd, io_events events, std::function<void(io_events)> on_ready) override {
    auto state = std::make_shared<fd_state>(io_, fd, events, std::move(on_ready));
    if (any(events & io_events::readable)) state->arm(asio::posix::descriptor_base::wait_read);
    if (any(events & io_events::writable)) state->arm(asio::posix::descriptor_base::wait_write);
    return handle(std::make_unique<fd_watch>(std::move(state)));
  }

  handle call_later(duration delay, task fn) override {
    return start_timer(delay, duration::zero(), std::move(fn));
  }

  handle call_every(duration interval, task fn) override {
    if (interval <= duration::zero()) {
      throw zmqsec::error(errc::invalid_argument,
                          "asio_loop: call_every needs a positive interval");
    }
    return start_timer(interval, interval, std::move(fn));
  }

  bool in_loop_thread() const noexcept override {
    return io_.get_executor().running_in_this_thread();
  }

 private:
  struct fd_state : std::enable_shared_from_this<fd_state> {
    asio::posix::stream_descriptor descriptor;
    io_events events;
    std::function<void(io_events)> on_ready;
    bool active = true;

    fd_state(asio::io_context& io, int fd, io_events e, std::function<void(io_events)> cb)
        : descriptor(io, fd), events(e), on_ready(std::move(cb)) {}
    ~fd_state() {
      if (descriptor.is_open()) descriptor.release();  // never close libzmq's fd
    }

    void arm(asio::posix::descriptor_base::wait_type type) {
      descriptor.async_wait(type, [self = shared_from_this(), type](const std::error_code& e) {
        if (!self->active || e == asio::error::operation_aborted) return;
        // Waiting again before the callback: an edge that comes during it is not lost.
        self->arm(type);
        self->on_ready(type == asio::posix::descriptor_base::wait_read ? io_events::readable
                                                                       : io_events::writable);
      });
    }
  };

  class fd_watch final : public handle::impl {
   public:
    explicit fd_watch(std::shared_ptr<fd_state> s) noexcept : state_(std::move(s)) {}
    void cancel() noexcept override {
      state_->active = false;
      // Cancels the waits (their handlers hold the state), deregisters, leaves the fd open.
      if (state_->descriptor.is_open()) state_->descriptor.release();
    }

   private:
    std::shared_ptr<fd_state> state_;
  };

  struct timer_state : std::enable_shared_from_this<timer_state> {
    asio::steady_timer timer;
    duration interval;
    task fn;
    bool active = true;

    timer_state(asio::io_context& io, duration i, task f)
        : timer(io), interval(i), fn(std::move(f)) {}

    void arm() {
      timer.async_wait([self = shared_from_this()](const std::error_code& e) {
        if (!self->active || e) return;
        if (self->interval > duration::zero()) {
          self->timer.expires_at(self->timer.expiry() + self->interval);
          self->arm();
        } else {
          self->active = false;
        }
        self->fn();
      });
    }
  };

  class timer_handle final : public handle::impl {
   public:
    explicit timer_handle(std::shared_ptr<timer_state> s) noexcept : state_(std::move(s)) {}
    void cancel() noexcept override {
      state_->active = false;
      state_->timer.cancel();
    }

   private:
    std::shared_ptr<timer_state> state_;
  };

  handle start_timer(duration delay, duration interval, task fn) {
    auto state = std::make_shared<timer_state>(io_, interval, std::move(fn));
    state->timer.expires_after(delay);
    state->arm();
    return handle(std::make_unique<timer_handle>(std::move(state)));
  }

  asio::io_context& io_;
};

namespace detail {

// async_socket::async_receive and async_send with any Asio completion token (declared in
// awaitable.hpp, which cannot include Asio: the rest of zmqsec::loop does not need it).
template <class Signature, class Token, class Initiation>
auto asio_initiate(Initiation&& initiation, Token&& token) {
  return asio::async_initiate<Token, Signature>(std::forward<Initiation>(initiation), token);
}

}  // namespace detail

}  // namespace zmqsec::loop
