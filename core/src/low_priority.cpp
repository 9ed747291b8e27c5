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

bool batch_scheduling_allowed() noexcept {
  static const bool allowed = [] {
    bool switched = false;
    try {
      std::thread probe([&switched] {
        const sched_param param{};  // priority 0, the only one SCHED_BATCH takes
        switched = ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param) == 0;
      });
      probe.join();
    } catch (const std::system_error&) {
      return false;  // no thread to ask with: not known, so not used
    }
    return switched;
  }();
  return allowed;
}

work_pacer::work_pacer(double share) noexcept
    : since_(std::chrono::steady_clock::now()),
      rest_per_work_(share > 0 && share < 1 ? (1 - share) / share : 0) {}

void work_pacer::step() {
  if (rest_per_work_ == 0) return;
  const auto worked = std::chrono::steady_clock::now() - since_;
  if (worked < std::chrono::milliseconds(1)) return;  // sleeps long enough to be worth a call
  std::this_thread::sleep_for(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(worked * rest_per_work_));
  since_ = std::chrono::steady_clock::now();
}

}  // namespace zmqsec::core
