// uv_loop and exceptions: a callback's exception must leave uv_loop::run() only after uv_run has
// returned normally. Unwinding through uv_run (libuv's C frames) leaves libuv's pointer to its
// stack array of events in loop->watchers[nwatchers], which a uv_poll_stop() before the next run
// writes through. Real libuv, a real pipe.
#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <zmqsec/loop/uv.hpp>

namespace {

namespace zl = zmqsec::loop;

class uv_loop_test : public ::testing::Test {
 protected:
  uv_loop_test() {
    uv_loop_init(&uv_);
    if (::pipe(fds_) != 0) ADD_FAILURE() << "pipe";
  }
  ~uv_loop_test() override {
    uv_run(&uv_, UV_RUN_DEFAULT);  // the closed handles go
    EXPECT_EQ(uv_loop_close(&uv_), 0);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // Whether libuv still points at the stack array of a uv__io_poll that did not return.
  bool events_pointer_left() const { return uv_.watchers[uv_.nwatchers] != nullptr; }

  uv_loop_t uv_{};
  int fds_[2] = {-1, -1};
};

TEST_F(uv_loop_test, an_exception_from_a_watch_leaves_run_after_libuv_returned) {
  zl::uv_loop loop{&uv_};
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  zl::handle watch = loop.watch_fd(fds_[0], zl::io_events::readable, [](zl::io_events) {
    throw std::runtime_error("from the watch");
  });
  EXPECT_THROW(loop.run(), std::runtime_error);
  EXPECT_FALSE(events_pointer_left());
  watch.cancel();  // uv_poll_stop now is safe
  bool ran = false;
  loop.post([&] {
    ran = true;
    uv_stop(&uv_);
  });
  loop.run();  // the loop goes on, with nothing left to throw
  EXPECT_TRUE(ran);
}

TEST_F(uv_loop_test, a_throwing_task_leaves_run_and_the_tasks_after_it_run_next_in_order) {
  zl::uv_loop loop{&uv_};
  std::vector<std::string> order;
  loop.post([&] { order.push_back("first"); });
  loop.post([] { throw std::runtime_error("from a task"); });
  loop.post([&] { order.push_back("second"); });
  loop.post([&] { order.push_back("third"); });
  EXPECT_THROW(loop.run(), std::runtime_error);
  EXPECT_FALSE(events_pointer_left());
  EXPECT_EQ(order, std::vector<std::string>{"first"});
  loop.post([&] {
    order.push_back("posted later");
    uv_stop(&uv_);
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third", "posted later"}));
}

TEST_F(uv_loop_test, an_exception_from_a_timer_leaves_run) {
  zl::uv_loop loop{&uv_};
  zl::handle timer = loop.call_later(std::chrono::milliseconds(1),
                                     [] { throw std::runtime_error("from a timer"); });
  EXPECT_THROW(loop.run(), std::runtime_error);
  bool ran = false;
  loop.post([&] {
    ran = true;
    uv_stop(&uv_);
  });
  loop.run();
  EXPECT_TRUE(ran);
}

}  // namespace
