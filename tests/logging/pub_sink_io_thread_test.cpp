// The I/O thread of a context the sink makes for itself runs under SCHED_BATCH: woken for
// nearly every record at moderate rates, it must not preempt the thread that logs (issue 17: a
// log call's p99 with a subscriber keeping up). A context the caller hands over is left as the
// caller set it up. (The thread applies its policy as it starts: waited for, bounded.)
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <zmq.hpp>

#include <zmqsec/core/low_priority.hpp>
#include <zmqsec/logging.hpp>

#include "../support/wait_until.hpp"
#include "log_stream.hpp"

namespace zl = zmqsec::logging;
using zmqsec::testing::any_loopback_port;
using zmqsec::testing::wait_until;

namespace {

// libzmq's I/O threads ("ZMQbg/IO/<n>") of this process that run under SCHED_BATCH.
int batch_io_threads() {
  int count = 0;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  while (const dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + task->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("ZMQbg/IO/", 0) != 0) continue;
    if (::sched_getscheduler(std::atoi(task->d_name)) == SCHED_BATCH) ++count;
  }
  ::closedir(tasks);
  return count;
}

}  // namespace

TEST(pub_sink_io_thread_test, this_process_may_use_batch_scheduling) {
  ASSERT_TRUE(zmqsec::core::batch_scheduling_allowed());
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);  // asked on a thread of its own
}

TEST(pub_sink_io_thread_test, the_sinks_own_io_thread_runs_as_a_batch_thread) {
  const int before = batch_io_threads();
  {
    zl::pub_sink_mt sink(zl::pub_sink_config{.bind = {any_loopback_port}});
    // The thread applies its policy as it starts, which the sink does not wait for.
    EXPECT_TRUE(wait_until([&] { return batch_io_threads() == before + 1; }));
  }
  EXPECT_EQ(batch_io_threads(), before);
}

TEST(pub_sink_io_thread_test, a_context_the_caller_hands_over_keeps_its_scheduling) {
  zmq::context_t context;
  zmq::socket_t first(context, zmq::socket_type::pair);  // starts the context's I/O thread
  const int before = batch_io_threads();
  zl::pub_sink_mt sink(zl::pub_sink_config{.bind = {any_loopback_port}, .context = &context});
  zl::pub_sink_mt own(zl::pub_sink_config{.bind = {any_loopback_port}});
  // Once the own sink's thread has its policy, the shared context's still has not.
  EXPECT_TRUE(wait_until([&] { return batch_io_threads() == before + 1; }));
}
