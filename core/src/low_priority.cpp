#include <zmqsec/core/low_priority.hpp>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <system_error>
#include <thread>

namespace zmqsec::core {
namespace {

// SCHED_IDLE where the kernel allows it (Linux 2.6.23 on, no privilege needed to lower); nice 19
// for this thread only (Linux's setpriority on a thread id) otherwise.
void lower_this_thread() noexcept {
  sched_param param{};
  if (::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &param) == 0) return;
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
