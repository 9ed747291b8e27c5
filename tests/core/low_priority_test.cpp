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
