#include <zmqsec/core/low_priority.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <system_error>
#include <thread>

namespace zmqsec::core {
namespace {

// Nice 19 for this thread only (Linux's setpriority on a thread id). Not SCHED_IDLE: an idle-class
// thread gets no CPU at all while other processes keep the machine busy, and if it was preempted
// holding the memory-map lock or a malloc arena, the served threads would wait on it without
// bound. At nice 19 it still gets a small share, so such a wait ends.
void lower_this_thread() noexcept {
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
}

}  // namespace

void run_at_low_priority(const std::function<void()>& work) {
  std::exception_ptr failure;
  std::thread thread;
  try {
    thread = std::thread([&] {
      lower_this_thread();
      try {
        work();
      } catch (...) {
        failure = std::current_exception();
      }
    });
  } catch (const std::system_error&) {
    work();  // no thread to be had: the work still has to be done
    return;
  }
  thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace zmqsec::core
