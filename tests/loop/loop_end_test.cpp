// Destroying the loop under waiting coroutines, on the reactor, Asio and libuv: their frames are
// destroyed (not leaked: the ASan build's LeakSanitizer sees a leaked frame), nothing is resumed,
// a receive read nothing, a send gave libzmq nothing, and an async_socket that outlives its loop
// stays safe to use and to destroy. Real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include <zmqsec/error.hpp>
#include <zmqsec/loop/awaitable.hpp>

#include "bind_loopback.hpp"
#include "loop_traits.hpp"

namespace {

namespace zl = zmqsec::loop;
using namespace zmqsec::testing::loop;
using namespace std::chrono_literals;

// Lives in a coroutine frame: says when the frame is destroyed.
struct frame_probe {
  bool* destroyed;
  ~frame_probe() { *destroyed = true; }
};

// A plain socket on the test's thread, to look at what the loop's sockets left behind.
zmq::socket_t plain(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::rcvtimeo, 10'000);
  s.set(zmq::sockopt::sndtimeo, 10'000);
  return s;
}

template <class Loop>
class loop_end_test : public ::testing::Test {
 protected:
  loop_end_test() : on_(std::make_unique<on_loop<Loop>>()) {}
  zl::event_loop& loop() { return on_->loop(); }
  zmq::context_t ctx_;
  std::unique_ptr<on_loop<Loop>> on_;  // reset by the test: the loop ends before the sockets
};

TYPED_TEST_SUITE(loop_end_test, all_loops, loop_names);

TYPED_TEST(loop_end_test, waiting_coroutines_are_destroyed_unresumed_and_lose_no_message) {
  std::optional<zl::async_socket> pull(
      wrap_socket<zl::async_socket>(this->ctx_, this->loop(), zmq::socket_type::pull));
  zmq::socket_t push = plain(this->ctx_, zmq::socket_type::push);
  push.connect(zmqsec::testing::bind_loopback(pull->socket()));
  bool receiving = false, sleeping = false, resumed = false, started_late = false;
  bool receiver_gone = false, sleeper_gone = false, late_gone = false;
  zl::spawn(this->loop(), [&]() -> zl::task<> {
    frame_probe probe{&receiver_gone};
    receiving = true;
    co_await pull->recv();
    resumed = true;
  });
  zl::spawn(this->loop(), [&, &loop = this->loop()]() -> zl::task<> {
    frame_probe probe{&sleeper_gone};
    sleeping = true;
    co_await zl::sleep_for(loop, 1h);
    resumed = true;
  });
  ASSERT_TRUE(this->on_->run_until([&] { return receiving && sleeping; }));
  // Spawned but never started: the loop does not run again.
  // Its callable is in the frame: the probe goes with the frame.
  auto probe = std::shared_ptr<frame_probe>(new frame_probe{&late_gone});
  zl::spawn(this->loop(), [&, probe = std::move(probe)]() -> zl::task<> {
    started_late = true;
    co_return;
  });
  // A message arrives while the loop does not run: the waiting receive must not take it.
  push.send(zmq::str_buffer("kept"));
  zmq::pollitem_t arrived[] = {{pull->socket().handle(), 0, ZMQ_POLLIN, 0}};
  ASSERT_EQ(zmq::poll(arrived, 1, 10s), 1);  // there, unread (poll reads nothing)

  this->on_.reset();

  EXPECT_TRUE(receiver_gone);
  EXPECT_TRUE(sleeper_gone);
  EXPECT_TRUE(late_gone);
  EXPECT_FALSE(resumed);
  EXPECT_FALSE(started_late);
  // The socket outlived its loop: an operation now is cancelled at once, nothing is watched.
  auto after = pull->recv();
  EXPECT_TRUE(after.await_ready());
  try {
    after.await_resume();
    ADD_FAILURE() << "a receive on a socket whose loop is gone completed";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_canceled);
  }
  EXPECT_THROW(pull->reset(), zmqsec::error);  // and leaves the socket as it was
  pull->socket().set(zmq::sockopt::rcvtimeo, 10'000);
  zmq::message_t kept;
  ASSERT_TRUE(pull->socket().recv(kept, zmq::recv_flags::none));
  EXPECT_EQ(kept.to_string(), "kept");
  pull.reset();  // closes without touching the loop that is gone
}

TYPED_TEST(loop_end_test, a_send_cancelled_by_the_loops_end_was_not_taken) {
  std::optional<zl::async_socket> push(
      wrap_socket<zl::async_socket>(this->ctx_, this->loop(), zmq::socket_type::push));
  const std::string endpoint = zmqsec::testing::bind_loopback(push->socket());
  bool sending = false, sent = false, gone = false;
  zl::spawn(this->loop(), [&]() -> zl::task<> {
    frame_probe probe{&gone};
    sending = true;
    co_await push->send("never taken");  // no peer: libzmq cannot take it, the send waits
    sent = true;
  });
  ASSERT_TRUE(this->on_->run_until([&] { return sending; }));
  this->on_.reset();
  EXPECT_TRUE(gone);
  EXPECT_FALSE(sent);

  zmq::socket_t pull = plain(this->ctx_, zmq::socket_type::pull);
  pull.connect(endpoint);
  ASSERT_TRUE(push->socket().send(zmq::str_buffer("after"), zmq::send_flags::none));
  zmq::message_t first;
  ASSERT_TRUE(pull.recv(first, zmq::recv_flags::none));
  EXPECT_EQ(first.to_string(), "after");
}

TYPED_TEST(loop_end_test, a_send_cancelled_by_closing_the_socket_says_so) {
  auto push = std::make_unique<zl::async_socket>(
      wrap_socket<zl::async_socket>(this->ctx_, this->loop(), zmq::socket_type::push));
  zmqsec::testing::bind_loopback(push->socket());
  std::string outcome;
  bool sending = false;
  zl::spawn(this->loop(), [&]() -> zl::task<> {
    try {
      sending = true;
      co_await push->send("never taken");
      outcome = "taken";
    } catch (const zmqsec::error& e) {
      outcome = e.code() == std::errc::operation_canceled ? "not taken" : e.what();
    }
  });
  ASSERT_TRUE(this->on_->run_until([&] { return sending; }));
  push.reset();
  EXPECT_EQ(outcome, "not taken");
}

// A coroutine that owns its context and sockets and ends inside the socket's own callback: its
// context's zmq_ctx_term must find the sockets closed (it waited for ever while the callback
// under way still held the socket).
TYPED_TEST(loop_end_test, a_coroutine_may_end_its_own_context_from_a_socket_callback) {
  bool waiting = false, received = false, frame_gone = false;
  std::string endpoint;
  zl::spawn(this->loop(), [&, &loop = this->loop()]() -> zl::task<> {
    frame_probe probe{&frame_gone};  // destroyed after the context below
    zmq::context_t ctx;
    zl::async_socket pull = wrap_socket<zl::async_socket>(ctx, loop, zmq::socket_type::pull);
    endpoint = zmqsec::testing::bind_loopback(pull.socket());
    waiting = true;
    co_await pull.recv();  // resumed from the socket's callback, where the frame then ends
    received = true;
  });
  ASSERT_TRUE(this->on_->run_until([&] { return waiting; }));
  zmq::socket_t push = plain(this->ctx_, zmq::socket_type::push);
  push.connect(endpoint);
  ASSERT_TRUE(push.send(zmq::str_buffer("bye"), zmq::send_flags::none));
  EXPECT_TRUE(this->on_->run_until([&] { return frame_gone; }));
  EXPECT_TRUE(received);
}

}  // namespace

#ifdef ZMQSEC_TEST_ASIO
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace {

// Asio's completion handlers waiting on an async_socket when the asio_loop goes: destroyed
// uncalled (a use_awaitable coroutine's frame with them), even though the io_context lives on.
TEST(loop_end_asio_test, waiting_handlers_are_destroyed_uncalled) {
  asio::io_context io;
  zmq::context_t ctx;
  auto loop = std::make_unique<zl::asio_loop>(io);
  std::optional<zl::async_socket> sock(
      wrap_socket<zl::async_socket>(ctx, *loop, zmq::socket_type::pull));
  zmqsec::testing::bind_loopback(sock->socket());
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  bool called = false, awaited = false, frame_gone = false;
  sock->async_receive([&called, alive](std::error_code, zl::message) { called = true; });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        frame_probe probe{&frame_gone};
        co_await sock->async_receive(asio::use_awaitable);
        awaited = true;
      },
      asio::detached);
  alive.reset();
  bool waiting = false;
  asio::post(io, [&] { waiting = true; });  // after the coroutine's start
  while (!waiting) io.run_one();
  EXPECT_FALSE(frame_gone);
  loop.reset();
  io.restart();
  io.run();  // nothing is watched any more: returns once Asio has let the coroutine go
  EXPECT_TRUE(watch.expired());
  EXPECT_TRUE(frame_gone);
  EXPECT_FALSE(called);
  EXPECT_FALSE(awaited);
  // An operation started now is refused as well: its handler goes, uncalled.
  bool late_called = false;
  sock->async_receive([&late_called](std::error_code, zl::message) { late_called = true; });
  io.restart();
  io.run();
  EXPECT_FALSE(late_called);
}

}  // namespace
#endif
