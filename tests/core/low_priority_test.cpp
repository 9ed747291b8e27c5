// run_at_low_priority: the work runs once, on another thread at nice 19 (not SCHED_IDLE, which can
// starve it for good while it holds a lock the served threads need), and its exception reaches
// the caller. The caller's own priority is left as it was.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

#include <zmqsec/core/low_priority.hpp>

namespace {

bool this_thread_is_low_priority() {
  int policy = 0;
  sched_param param{};
  if (::pthread_getschedparam(::pthread_self(), &policy, &param) != 0 || policy != SCHED_OTHER) {
    return false;
  }
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  return errno == 0 && nice == 19;
}

// The calling thread's policy and nice value.
std::pair<int, int> priority_of_this_thread() {
  int policy = 0;
  sched_param param{};
  ::pthread_getschedparam(::pthread_self(), &policy, &param);
  return {policy, ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)))};
}

}  // namespace

TEST(low_priority, runs_the_work_once_on_a_low_priority_thread) {
  const auto before = priority_of_this_thread();
  int runs = 0;
  bool low = false;
  std::thread::id worker;
  zmqsec::core::run_at_low_priority([&] {
    ++runs;
    low = this_thread_is_low_priority();
    worker = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(low);
  EXPECT_NE(worker, std::this_thread::get_id());
  EXPECT_EQ(priority_of_this_thread(), before);
}

TEST(low_priority, hands_the_work_exception_to_the_caller) {
  EXPECT_THROW(zmqsec::core::run_at_low_priority([] { throw std::runtime_error("no file"); }),
               std::runtime_error);
}

namespace {

// Keeps the CPU busy for at least d (measured on the steady clock).
void work_for(std::chrono::steady_clock::duration d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

}  // namespace

// A work_pacer at a quarter share rests three times as long as the work ran since the last step.
TEST(work_pacer, rests_so_that_the_work_runs_its_share_of_the_time) {
  using clock = std::chrono::steady_clock;
  zmqsec::core::work_pacer pacer(0.25);
  const auto start = clock::now();
  work_for(std::chrono::milliseconds(4));
  const auto worked = clock::now() - start;
  const auto before_step = clock::now();
  pacer.step();
  const auto rested = clock::now() - before_step;
  EXPECT_GE(rested, 3 * worked);

  // A second piece: the rest is counted from the end of the first rest, not from the start.
  const auto again = clock::now();
  work_for(std::chrono::milliseconds(2));
  const auto worked_again = clock::now() - again;
  const auto before_second = clock::now();
  pacer.step();
  EXPECT_GE(clock::now() - before_second, 3 * worked_again);
}

TEST(work_pacer, a_full_share_never_rests) {
  using clock = std::chrono::steady_clock;
  zmqsec::core::work_pacer pacer(1.0);
  work_for(std::chrono::milliseconds(100));
  const auto before_step = clock::now();
  pacer.step();
  // A rest would be 100 ms or more at any share below 1; without one, step() returns at once.
  EXPECT_LT(clock::now() - before_step, std::chrono::milliseconds(100));
}
