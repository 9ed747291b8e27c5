// run_at_low_priority: runs a long piece of work (the full reload of a million-key file) on a
// thread of its own at nice 19 (the kernel gives it a small share of a busy CPU), and waits
// for it. On a server with few cores the work then
// yields to the threads that serve clients (libzmq's I/O threads doing CURVE handshakes, the ZAP
// handler) instead of taking a core from them. A thread's priority cannot be raised again
// without privileges, hence a thread of its own rather than the caller's.
//
//   zmqsec::core::run_at_low_priority([&] { model.load_all(); });   // exceptions come back
//
// The caller blocks until the work is done; hold no lock the served threads need meanwhile.
// The kernel's and the allocator's locks are shared all the same: the low thread may be
// preempted while it holds the process's memory-map lock (mmap, munmap) or a malloc arena, and
// the threads that then wait for it wait until it runs again. Where the process's own threads
// fill the CPU they block, the CPU idles and it does run; where other processes fill the CPU it
// still gets its nice-19 share, so the wait is bounded (SCHED_IDLE, which would give it none,
// is not used for that reason).
// The work is never skipped: on an idle machine it runs at full speed, on a saturated one it
// takes longer. If no thread can be created, it runs on the caller's thread instead.
#pragma once

#include <chrono>
#include <functional>

namespace zmqsec::core {

void run_at_low_priority(const std::function<void()>& work);

/// Whether a thread of this process may switch itself to SCHED_BATCH (asked once per process,
/// on a short-lived thread of its own). A SCHED_BATCH thread shares the CPU as a nice-0 one but
/// does not preempt the running thread when it wakes up: a libzmq I/O thread woken for every
/// record a log call queues then no longer takes the caller's core away. Ask first: libzmq
/// (4.3) aborts the process when it cannot apply ZMQ_THREAD_SCHED_POLICY to its I/O thread (a
/// seccomp filter or a security module may refuse sched_setscheduler).
bool batch_scheduling_allowed() noexcept;

/// Spreads a long piece of work out so that it runs at most `share` of the time, as PostgreSQL's
/// vacuum cost delay does: the work calls step() between small pieces, and once it has run for
/// a millisecond or more, step() sleeps as long as the share asks. Why: nice arbitrates the CPU,
/// not memory bandwidth. On the 2-core benchmark machine a full reload of a million-key file
/// (streaming the file, writing some 110 MB of arrays) at nice 19 still cost the CURVE
/// handshakes on the other core a quarter of their rate; spread out, it costs them what its
/// share of the time costs, and takes 1/share times as long.
///
///   core::work_pacer pacer(0.2);
///   for (auto& piece : pieces) { handle(piece); pacer.step(); }
class work_pacer {
 public:
  /// share: in (0, 1]; 1 never sleeps.
  explicit work_pacer(double share) noexcept;
  void step();

 private:
  std::chrono::steady_clock::time_point since_;
  double rest_per_work_;
};

}  // namespace zmqsec::core
