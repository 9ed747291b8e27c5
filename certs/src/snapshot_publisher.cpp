#include "snapshot_publisher.hpp"

#include <string>
#include <utility>

#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {

std::shared_ptr<const cert_snapshot> snapshot_publisher::current() const noexcept {
  std::lock_guard lock(current_mutex_);
  return current_snapshot_;
}

bool snapshot_publisher::wait_for_generation(std::uint64_t at_least,
                                             std::chrono::milliseconds timeout) const {
  std::unique_lock lock(generation_mutex_);
  return generation_cv_.wait_for(lock, timeout, [&] { return published_ >= at_least; });
}

void snapshot_publisher::publish(std::shared_ptr<const key_table> table,
                                 std::vector<file_problem> problems, bool stale, bool notify) {
  const std::shared_ptr<const cert_snapshot> snapshot(
      new cert_snapshot(std::move(table), std::move(problems), generation_ + 1, stale));
  ++generation_;
  auto previous = snapshot;
  {
    std::lock_guard lock(current_mutex_);
    current_snapshot_.swap(previous);
  }
  current_generation_.store(generation_, std::memory_order_release);
  previous.reset();  // a released table is unmapped here, outside the readers' mutex
  {
    std::lock_guard lock(generation_mutex_);
    published_ = generation_;
  }
  generation_cv_.notify_all();
  if (!notify || !on_change_) return;
  publishing_thread_.store(std::this_thread::get_id());
  try {
    on_change_(snapshot);
  } catch (...) {
    // The callback's failure is its own; the store has published and carries on.
  }
  publishing_thread_.store(std::thread::id());
}

void snapshot_publisher::refuse_inside_callback(const char* what) const {
  if (publishing_thread_.load() == std::this_thread::get_id()) {
    throw zmqsec::error(errc::invalid_argument,
                        std::string("cert_store::") + what + " called from its on_change callback");
  }
}

}  // namespace zmqsec::certs::detail
