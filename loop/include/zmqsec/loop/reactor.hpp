// The embedded event loop: fd watches, one-shot and repeating timers, tasks posted from any
// thread. What a program uses when it has no loop of its own; ZeroMQ sockets go on it through
// socket_watch and stream.
//
//   zmqsec::loop::reactor loop;
//   zmqsec::loop::stream echo{loop, zmq::socket_t{ctx, zmq::socket_type::rep}};
//   echo.socket().bind("tcp://127.0.0.1:5555");
//   echo.on_recv([&](zmqsec::loop::message& m) { echo.send_multipart(std::move(m)); });
//   auto stop = loop.call_later(10s, [&] { loop.stop(); });
//   loop.run();                                    // until stop()
//
// Built on epoll over file descriptors, ZeroMQ's ZMQ_FD among them, a wake-up fd for post() and
// stop(), and the epoll timeout for timers. Not on zmq_poller: libzmq 4.3.4 has it only in its
// DRAFT API (Debian's libzmq does not export it), and zmq_poll cannot wait on ZMQ_FD and plain
// fds with the edge discipline that Asio and libuv need anyway (see socket_watch.hpp).
//
// Watches are level-triggered here. Callbacks run on the thread that calls run(); an exception
// a callback throws leaves run() (the reactor stays usable). Handles must not outlive the
// reactor.
#pragma once

#include <chrono>
#include <memory>

#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

namespace detail {
class reactor_impl;
}

class reactor final : public event_loop {
 public:
  /// Throws zmqsec::error if epoll or eventfd cannot be had.
  reactor();
  ~reactor() override;
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// Runs callbacks until stop(). A stop() that came before run() makes it return at once.
  void run();
  /// The same, but returns after duration at the latest.
  void run_for(duration how_long);
  /// Makes run() and run_for() return after the callback under way (if any). Any thread.
  void stop() noexcept;

  // event_loop
  void post(task fn) override;
  handle watch_fd(int fd, io_events events, std::function<void(io_events)> on_ready) override;
  handle call_later(duration delay, task fn) override;
  handle call_every(duration interval, task fn) override;
  bool in_loop_thread() const noexcept override;

 private:
  std::unique_ptr<detail::reactor_impl> impl_;
};

}  // namespace zmqsec::loop
