// The three loops the stream and authenticator tests run on, behind one face: the embedded
// reactor, an asio::io_context and a uv_loop_t. A typed test takes one of them as its parameter.
// Waiting is always bounded and on a condition: run_until() runs the loop until done() holds
// (checked every millisecond by a loop timer) or the patience runs out.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <zmq.hpp>

#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/loop/reactor.hpp>

#ifdef ZMQSEC_TEST_ASIO
#include <asio/executor_work_guard.hpp>
#include <zmqsec/loop/asio.hpp>
#endif
#ifdef ZMQSEC_TEST_UV
#include <zmqsec/loop/uv.hpp>
#endif

namespace zmqsec::testing::loop {

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds loop_patience = 60s;

struct reactor_loop {
  static constexpr const char* name = "reactor";
  zmqsec::loop::reactor reactor;
  zmqsec::loop::event_loop& loop() { return reactor; }
  void run() { reactor.run(); }
  /// From the loop thread (or any thread: the reactor allows it).
  void stop() { reactor.stop(); }
};

#ifdef ZMQSEC_TEST_ASIO
struct asio_loop {
  static constexpr const char* name = "asio";
  asio::io_context io;
  zmqsec::loop::asio_loop adapter{io};
  zmqsec::loop::event_loop& loop() { return adapter; }
  void run() {
    auto work = asio::make_work_guard(io);  // run until stop(), like the others
    io.restart();
    io.run();
  }
  void stop() { io.stop(); }
};
#endif

#ifdef ZMQSEC_TEST_UV
struct uv_loop {
  static constexpr const char* name = "libuv";
  uv_loop_t uv{};
  std::optional<zmqsec::loop::uv_loop> adapter;
  uv_loop() {
    uv_loop_init(&uv);
    adapter.emplace(&uv);
  }
  ~uv_loop() {
    adapter.reset();
    uv_run(&uv, UV_RUN_DEFAULT);  // the closed handles go
    uv_loop_close(&uv);
  }
  zmqsec::loop::event_loop& loop() { return *adapter; }
  void run() { adapter->run(); }  // rethrows a callback's exception, as the others do
  /// From the loop thread.
  void stop() { uv_stop(&uv); }
};
#endif

/// A test's loop and the ways to run it.
template <class Loop>
class on_loop {
 public:
  zmqsec::loop::event_loop& loop() { return loop_.loop(); }
  Loop& raw() { return loop_; }

  /// Runs the loop on this thread until done() or the patience runs out; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds patience = loop_patience) {
    if (done()) return true;
    const auto deadline = std::chrono::steady_clock::now() + patience;
    zmqsec::loop::handle check = loop().call_every(1ms, [&] {
      if (done() || std::chrono::steady_clock::now() >= deadline) loop_.stop();
    });
    loop_.run();
    return done();
  }

  /// Stops the loop from any thread (through a posted task).
  void stop_soon() {
    loop().post([this] { loop_.stop(); });
  }

  /// Runs the loop on a thread of its own until stop_thread() (for tests that block on sockets).
  void start_thread() {
    thread_ = std::thread([this] { loop_.run(); });
  }
  void stop_thread() {
    if (!thread_.joinable()) return;
    stop_soon();
    thread_.join();
  }
  /// Runs fn on the loop and waits for it (the loop runs on its thread).
  void on_loop_thread(const std::function<void()>& fn) {
    std::promise<void> done;
    loop().post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  ~on_loop() { stop_thread(); }

 private:
  Loop loop_;
  std::thread thread_;
};

/// A socket of type in ctx (linger 0) handed to a Wrapper on loop: a stream, an async_socket.
template <class Wrapper>
Wrapper wrap_socket(zmq::context_t& ctx, zmqsec::loop::event_loop& loop, zmq::socket_type type) {
  zmq::socket_t socket(ctx, type);
  socket.set(zmq::sockopt::linger, 0);
  return Wrapper(loop, std::move(socket));
}

using all_loops = ::testing::Types<reactor_loop
#ifdef ZMQSEC_TEST_ASIO
                                   ,
                                   asio_loop
#endif
#ifdef ZMQSEC_TEST_UV
                                   ,
                                   uv_loop
#endif
                                   >;

struct loop_names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};

}  // namespace zmqsec::testing::loop
