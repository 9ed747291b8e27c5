#include <poll.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/error.hpp>

namespace {

using namespace std::chrono_literals;
using zmqsec::core::stop_view;
using zmqsec::core::worker;

// A body that waits on its stop fd the way every zmqsec worker does.
void wait_for_stop(const stop_view& stop) {
  while (!stop.requested()) {
    pollfd p{stop.fd(), POLLIN, 0};
    ::poll(&p, 1, -1);
  }
}

TEST(worker_test, stop_wakes_the_body_and_joins_it) {
  worker w;
  std::atomic<bool> returned{false};
  w.start("test-stop", [&](const stop_view& stop) {
    wait_for_stop(stop);
    returned = true;
  });
  EXPECT_TRUE(w.running());
  w.stop();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(w.running());
  EXPECT_EQ(w.failure(), nullptr);
}

TEST(worker_test, starts_again_after_a_stop_with_a_fresh_request) {
  worker w;
  std::atomic<int> runs{0};
  for (int i = 0; i < 3; ++i) {
    w.start("test-again", [&](const stop_view& stop) {
      ++runs;
      wait_for_stop(stop);
    });
    w.stop();
  }
  EXPECT_EQ(runs.load(), 3);
}

TEST(worker_test, refuses_a_second_start_while_running) {
  worker w;
  w.start("test-twice", wait_for_stop);
  EXPECT_THROW(w.start("test-twice", wait_for_stop), zmqsec::error);
  w.stop();
}

TEST(worker_test, an_exception_in_the_body_reaches_the_error_callback_and_failure) {
  worker w;
  std::promise<std::string> reported;
  w.start(
      "test-throw", [](const stop_view&) { throw std::runtime_error("broken"); },
      [&](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          reported.set_value(ex.what());
        }
      });
  auto got = reported.get_future();
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(got.get(), "broken");
  ASSERT_TRUE(w.wait_ended(10s));
  EXPECT_NE(w.failure(), nullptr);
  EXPECT_FALSE(w.running());
}

TEST(worker_test, an_exception_without_a_callback_is_written_to_stderr) {
  testing::internal::CaptureStderr();
  {
    worker w;
    w.start("test-stderr", [](const stop_view&) { throw std::runtime_error("lost?"); });
    ASSERT_TRUE(w.wait_ended(10s));
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("test-stderr"), std::string::npos) << err;
  EXPECT_NE(err.find("lost?"), std::string::npos) << err;
}

TEST(worker_test, stop_from_the_body_itself_returns_and_the_thread_ends) {
  worker w;
  std::atomic<bool> stop_returned{false};
  w.start("test-self", [&](const stop_view& stop) {
    w.stop();  // must not wait for itself
    stop_returned = true;
    EXPECT_TRUE(stop.requested());
    EXPECT_TRUE(w.on_worker_thread());
  });
  ASSERT_TRUE(w.wait_ended(10s));
  EXPECT_TRUE(stop_returned.load());
  EXPECT_FALSE(w.on_worker_thread());
}

TEST(worker_test, destroyed_from_its_own_body_the_thread_finishes_on_its_own) {
  auto owned = std::make_unique<worker>();
  std::promise<void> finished;
  worker* raw = owned.get();
  raw->start("test-destroy", [&owned, &finished](const stop_view& stop) {
    owned.reset();  // the owner goes away inside its own callback
    EXPECT_TRUE(stop.requested());
    finished.set_value();
  });
  EXPECT_EQ(finished.get_future().wait_for(10s), std::future_status::ready);
}

TEST(worker_test, a_body_that_ended_by_itself_is_collected_by_the_next_start) {
  worker w;
  w.start("test-ended", [](const stop_view&) {});
  ASSERT_TRUE(w.wait_ended(10s));
  EXPECT_NO_THROW(w.start("test-ended", wait_for_stop));
  w.stop();
}

}  // namespace

namespace {

// stop() racing start() from another thread: whichever takes the worker's lock first, stop()
// returns and leaves no body running. (stop() used to ask only before taking the lock: a start()
// that got the lock in between cleared the request, and stop() then waited for a body nobody
// had asked to end.) Not made to happen every time: the window is between two lines of stop();
// 2000 rounds open it many times here.
TEST(worker_test, stop_racing_start_always_returns_and_leaves_nothing_running) {
  worker w;
  constexpr int rounds = 2000;
  std::atomic<bool> starter_done{false};
  std::thread starter([&] {
    for (int i = 0; i < rounds; ++i) {
      try {
        w.start("test-race", wait_for_stop);
      } catch (const zmqsec::error&) {  // still running: the next round tries again
      }
    }
    starter_done = true;
  });
  auto stopper = std::async(std::launch::async, [&] {
    while (!starter_done.load()) w.stop();
    w.stop();
  });
  const bool returned = stopper.wait_for(30s) == std::future_status::ready;
  EXPECT_TRUE(returned) << "stop() waits for a body that was never asked to end";
  if (!returned) w.request_stop();  // lets the stuck stop() return, so the test can end
  starter.join();
  stopper.wait();
  w.stop();
  EXPECT_FALSE(w.running());
}

}  // namespace
