// send_thread: a pub_sink's sender thread (pub_sink_config::send_thread). Log calls format their
// records into a record_ring and return; this thread puts them on the socket, so that a log
// call's time does not depend on libzmq's (its I/O thread's wake-ups, a subscriber's pace).
//
// Waking it costs a system call, so a log call does not: while records flow the thread naps a
// millisecond between rounds and takes what came meanwhile; after 100 idle naps it sleeps until
// a log call, a subscriber or a stop wakes it. A log call wakes a napping thread only when the
// ring is over half full, and a sleeping one always (once per burst).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/logging/detail/outlet.hpp>

#include "record_ring.hpp"

namespace zmqsec::logging::detail {

/// Drops not yet reported on the stream: how many, their interval, highest level and reasons.
struct unreported_drops {
  std::uint64_t count = 0;
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
  std::uint32_t level = 0;
  std::uint32_t reasons = 0;

  void add(std::uint64_t n, std::int64_t from, std::int64_t to, std::uint32_t lvl,
           std::uint32_t why) noexcept;
};

class send_thread {
 public:
  /// out: attached to the socket, used from now on by this thread alone; zmq_fd: the socket's
  /// ZMQ_FD to wake on (subscriptions), -1 for none; dropped: the sink's drop counter;
  /// linger: how long the end of the sink may spend sending what is queued.
  send_thread(outlet& out, int zmq_fd, std::size_t queue_bytes, std::atomic<std::uint64_t>& dropped,
              std::chrono::milliseconds linger);
  send_thread(const send_thread&) = delete;
  send_thread& operator=(const send_thread&) = delete;
  /// Sends what is queued (for up to linger), then stops the thread.
  ~send_thread();

  /// Log call: queues the entry, waiting up to `wait` for room when the ring is full.
  record_ring::pushed queue(const ring_entry& entry, std::chrono::milliseconds wait) noexcept;
  /// Log call: waits until everything queued has been handed to the socket (or dropped there).
  void flush() noexcept;
  /// Log call: whether the thread has drops the stream has not been told of.
  bool has_drops() const noexcept { return drops_pending_.load(std::memory_order_acquire); }
  /// Log call: takes those drops (the stream's report is the log call's to make).
  unreported_drops take_drops() noexcept;

 private:
  enum state : int { running, napping, sleeping };

  void run(const core::stop_view& stop);
  bool send_queued(std::chrono::steady_clock::time_point give_up);
  void drop(const ring_entry& entry, outlet::sent why) noexcept;
  void rest(const core::stop_view& stop, bool nap);
  void wake_if_resting(bool ring_filling) noexcept;
  bool wait_for(const std::function<bool()>& done,
                std::chrono::steady_clock::time_point deadline) noexcept;
  void tell_waiting_log_call() noexcept;

  outlet& outlet_;
  int zmq_fd_;
  record_ring ring_;
  std::atomic<std::uint64_t>& dropped_;
  std::chrono::milliseconds linger_;
  core::wakeup_fd wake_;
  std::atomic<int> state_{running};

  std::atomic<bool> log_call_waits_{false};  // a log call waits on changed_ for the ring
  std::mutex mutex_;
  std::condition_variable changed_;

  std::mutex drops_mutex_;
  unreported_drops drops_;
  std::atomic<bool> drops_pending_{false};

  core::worker worker_;  // last: stopped and joined before the rest goes
};

}  // namespace zmqsec::logging::detail
