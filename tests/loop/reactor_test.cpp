// The event loops themselves: timers (one-shot, repeating, cancelled, cancelling themselves),
// post() from other threads, stop() during callbacks, fd watches; and the reactor's own run,
// run_for and stop.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/detail/unique_fd.hpp>
#include <zmqsec/loop/reactor.hpp>

#include "loop_traits.hpp"

namespace zl = zmqsec::loop;
using namespace zmqsec::testing::loop;

namespace {

template <class Loop>
class loop_test : public ::testing::Test {
 protected:
  on_loop<Loop> on_;
};

TYPED_TEST_SUITE(loop_test, all_loops, loop_names);

TYPED_TEST(loop_test, one_shot_timers_fire_once_in_order_of_their_delays) {
  std::vector<int> order;
  zl::handle late = this->on_.loop().call_later(30ms, [&] { order.push_back(30); });
  zl::handle early = this->on_.loop().call_later(5ms, [&] { order.push_back(5); });
  zl::handle cancelled = this->on_.loop().call_later(10ms, [&] { order.push_back(10); });
  cancelled.cancel();
  bool after = false;
  zl::handle last = this->on_.loop().call_later(60ms, [&] { after = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return after; }));
  EXPECT_EQ(order, (std::vector<int>{5, 30}));
}

TYPED_TEST(loop_test, a_repeating_timer_fires_until_it_cancels_itself) {
  int ticks = 0;
  zl::handle tick;
  tick = this->on_.loop().call_every(1ms, [&] {
    if (++ticks == 5) tick.cancel();
  });
  bool after = false;
  zl::handle last = this->on_.loop().call_later(40ms, [&] { after = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return after; }));
  EXPECT_EQ(ticks, 5);
}

TYPED_TEST(loop_test, a_timer_handle_destroyed_in_its_own_callback_is_safe) {
  int fired = 0;
  auto timer = std::make_unique<zl::handle>();
  *timer = this->on_.loop().call_every(1ms, [&] {
    ++fired;
    timer.reset();
  });
  bool after = false;
  zl::handle last = this->on_.loop().call_later(20ms, [&] { after = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return after; }));
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(loop_test, tasks_posted_from_other_threads_all_run_on_the_loop_in_order) {
  constexpr int threads = 4;
  constexpr int each = 10'000;
  std::atomic<int> ran{0};
  std::atomic<int> off_loop{0};
  std::vector<std::vector<int>> seen(threads);
  std::vector<std::thread> posters;
  for (int t = 0; t < threads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        this->on_.loop().post([&, t, i] {
          if (!this->on_.loop().in_loop_thread()) ++off_loop;
          seen[t].push_back(i);
          ++ran;
        });
      }
    });
  }
  EXPECT_TRUE(this->on_.run_until([&] { return ran.load() == threads * each; }));
  for (auto& p : posters) p.join();
  EXPECT_EQ(off_loop.load(), 0);
  for (int t = 0; t < threads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(each));
    for (int i = 0; i < each; ++i) ASSERT_EQ(seen[t][i], i);
  }
}

// A post from the loop's own thread wakes nobody (the reactor and the libuv adapter skip the
// wake-up then): the loop must still turn for it. A chain of posts, each from the one before,
// on a loop with nothing else to do: were one post not seen, the loop would sleep for good.
TYPED_TEST(loop_test, a_chain_of_posts_from_the_loop_thread_runs_to_its_end) {
  constexpr int length = 10'000;
  int ran = 0;
  std::promise<void> done;
  std::function<void()> next = [&] {
    if (++ran == length) return done.set_value();
    this->on_.loop().post(next);
  };
  this->on_.start_thread();
  this->on_.loop().post(next);
  EXPECT_EQ(done.get_future().wait_for(loop_patience), std::future_status::ready) << ran;
  this->on_.stop_thread();
  EXPECT_EQ(ran, length);
}

// Tasks run in the order they were posted, wherever they were posted from: one posted from
// another thread, then one from the loop thread, run in that order.
TYPED_TEST(loop_test, posts_from_the_loop_thread_keep_their_order_with_posts_from_others) {
  std::vector<std::string> order;
  this->on_.loop().post([&] {
    std::thread([&] { this->on_.loop().post([&] { order.push_back("other thread"); }); }).join();
    this->on_.loop().post([&] { order.push_back("loop thread"); });
  });
  EXPECT_TRUE(this->on_.run_until([&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<std::string>{"other thread", "loop thread"}));
}

TYPED_TEST(loop_test, stop_from_a_callback_ends_the_run_and_keeps_what_was_posted) {
  std::vector<int> ran;
  this->on_.loop().post([&] {
    ran.push_back(1);
    this->on_.raw().stop();
  });
  this->on_.loop().post([&] { ran.push_back(2); });
  this->on_.raw().run();  // returns because of the stop
  EXPECT_EQ(ran.front(), 1);
  EXPECT_TRUE(this->on_.run_until([&] { return ran.size() == 2; }));
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TYPED_TEST(loop_test, stop_from_another_thread_ends_a_loop_on_its_thread) {
  std::atomic<int> ticks{0};
  zl::handle tick = this->on_.loop().call_every(1ms, [&] { ++ticks; });
  this->on_.start_thread();
  ASSERT_TRUE(zmqsec::testing::loop::loop_patience.count() > 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ticks.load() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  this->on_.stop_thread();  // joins: returns only if the loop stopped
  EXPECT_GE(ticks.load(), 3);
  // Timers belong to the loop thread: cancel it there.
  this->on_.raw().loop().post([&] { tick.cancel(); });
  bool done = false;
  this->on_.loop().post([&] { done = true; });
  EXPECT_TRUE(this->on_.run_until([&] { return done; }));
}

TYPED_TEST(loop_test, an_fd_watch_reports_readable_and_may_cancel_itself) {
  zmqsec::detail::unique_fd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  ASSERT_TRUE(fd);
  int calls = 0;
  zl::handle watch;
  watch = this->on_.loop().watch_fd(fd.get(), zl::io_events::readable, [&](zl::io_events e) {
    EXPECT_TRUE(zl::any(e & zl::io_events::readable));
    std::uint64_t value = 0;
    ASSERT_EQ(::read(fd.get(), &value, sizeof value), static_cast<ssize_t>(sizeof value));
    if (++calls == 2) watch.cancel();
  });
  std::uint64_t one = 1;
  ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  ASSERT_TRUE(this->on_.run_until([&] { return calls == 1; }));
  ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  ASSERT_TRUE(this->on_.run_until([&] { return calls == 2; }));
  ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  bool after = false;
  zl::handle t = this->on_.loop().call_later(20ms, [&] { after = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return after; }));
  EXPECT_EQ(calls, 2);
}

// --- The reactor's own controls ----------------------------------------------------------------

TEST(reactor, run_for_returns_after_the_duration_with_nothing_to_do) {
  zl::reactor r;
  const auto start = std::chrono::steady_clock::now();
  r.run_for(20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

TEST(reactor, a_stop_before_run_makes_it_return_at_once) {
  zl::reactor r;
  r.stop();
  r.run();  // would never return otherwise
  bool ran = false;
  r.post([&] {
    ran = true;
    r.stop();
  });
  r.run();
  EXPECT_TRUE(ran);
}

TEST(reactor, in_loop_thread_only_while_running_on_it) {
  zl::reactor r;
  EXPECT_FALSE(r.in_loop_thread());
  bool inside = false;
  r.post([&] {
    inside = r.in_loop_thread();
    r.stop();
  });
  r.run();
  EXPECT_TRUE(inside);
  EXPECT_FALSE(r.in_loop_thread());
}

TEST(reactor, an_exception_from_a_callback_leaves_run_and_the_reactor_goes_on) {
  zl::reactor r;
  r.post([] { throw std::runtime_error("boom"); });
  bool later = false;
  r.post([&] {
    later = true;
    r.stop();
  });
  EXPECT_THROW(r.run(), std::runtime_error);
  r.run();
  EXPECT_TRUE(later);
}

TEST(reactor, one_watch_per_fd) {
  zl::reactor r;
  zmqsec::detail::unique_fd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  zl::handle first = r.watch_fd(fd.get(), zl::io_events::readable, [](zl::io_events) {});
  EXPECT_THROW((void)r.watch_fd(fd.get(), zl::io_events::readable, [](zl::io_events) {}),
               zmqsec::error);
}

}  // namespace
