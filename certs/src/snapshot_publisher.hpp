// The publishing room of a cert_store: the current snapshot, its generation, waiting for one,
// and the on_change callback. Whatever changes the store (a folder or an in-memory source)
// builds a table and hands it here; readers never see anything else of the store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <zmqsec/certs/cert_store.hpp>

#include "key_table.hpp"

namespace zmqsec::certs::detail {

class snapshot_publisher {
 public:
  using change_callback = std::function<void(const std::shared_ptr<const cert_snapshot>&)>;

  explicit snapshot_publisher(change_callback on_change) : on_change_(std::move(on_change)) {}

  /// The latest snapshot (null before the first publish()). Any thread.
  std::shared_ptr<const cert_snapshot> current() const noexcept;
  /// Its generation, lock-free.
  std::uint64_t generation() const noexcept {
    return current_generation_.load(std::memory_order_acquire);
  }
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;

  /// Publishes the next snapshot and, with notify, calls on_change with it (its exceptions are
  /// ignored). The caller serialises publications (its update mutex), which keeps the calls
  /// one at a time and in generation order.
  void publish(std::shared_ptr<const key_table> table, std::vector<file_problem> problems,
               bool stale, bool notify);

  /// Throws zmqsec::error if the calling thread is inside on_change: a call back into the store
  /// that changes it would wait for its own update mutex.
  void refuse_inside_callback(const char* what) const;

 private:
  change_callback on_change_;

  // The published snapshot, behind a mutex held only to copy or swap the pointer (never while a
  // reload works), rather than in a std::atomic<std::shared_ptr>: libstdc++ 12's load() releases
  // its internal lock bit with memory_order_relaxed, so its read of the pointer does not happen
  // before the next store's write. That is a data race by the memory model (ThreadSanitizer
  // reports it), and weakly ordered CPUs may pair a new pointer with the old reference count.
  mutable std::mutex current_mutex_;
  std::shared_ptr<const cert_snapshot> current_snapshot_;  // guarded by current_mutex_
  std::atomic<std::uint64_t> current_generation_{0};       // of current_snapshot_, lock-free

  mutable std::mutex generation_mutex_;
  mutable std::condition_variable generation_cv_;
  std::uint64_t published_ = 0;  // guarded by generation_mutex_

  std::uint64_t generation_ = 0;  // of the last publish(); the caller serialises them
  // The thread inside on_change, so that a call back into the store fails instead of deadlocking.
  std::atomic<std::thread::id> publishing_thread_{};
};

}  // namespace zmqsec::certs::detail
