// The thread variant: one thread per monitor that owns the reading end from start to close.
#include <condition_variable>
#include <mutex>
#include <thread>

#include <zmqsec/error.hpp>
#include <zmqsec/monitor/monitor.hpp>

namespace zmqsec::monitor {
namespace detail {

struct monitor_state {
  monitor_state(zmq::context_t& context, zmq::socket_ref socket, event_callback callback,
                event_mask events)
      : reader(context, socket, events), on_event(std::move(callback)) {}

  monitor_socket reader;
  event_callback on_event;
  std::thread thread;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> callback_errors{0};

  mutable std::mutex mutex;
  mutable std::condition_variable ended_cv;
  bool ended = false;  // guarded by mutex

  void run() noexcept {
    while (!reader.stopped()) {
      std::optional<event> e;
      try {
        e = reader.receive(std::chrono::milliseconds(-1));
      } catch (...) {
        break;  // the reading end failed (not ETERM): nothing more can come through it
      }
      if (e) deliver(*e);
    }
    reader.close();
    {
      std::lock_guard lock(mutex);
      ended = true;
    }
    ended_cv.notify_all();
  }

  void deliver(const event& e) noexcept {
    delivered.fetch_add(1, std::memory_order_relaxed);
    if (!on_event) return;
    try {
      on_event(e);
    } catch (...) {
      callback_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

}  // namespace detail

monitor::monitor(zmq::context_t& context, zmq::socket_ref socket, event_callback on_event,
                 event_mask events)
    : state_(
          std::make_shared<detail::monitor_state>(context, socket, std::move(on_event), events)) {
  try {
    // The thread keeps the state alive, so a callback may destroy the monitor.
    state_->thread = std::thread([state = state_] { state->run(); });
  } catch (const std::system_error& e) {
    // No thread to read: detach here, on this thread, in the same order.
    state_->reader.stop();
    while (!state_->reader.stopped()) state_->reader.receive(std::chrono::milliseconds(-1));
    state_->reader.close();
    throw error(e.code(), std::string("cannot start the monitor thread: ") + e.what());
  }
}

monitor::monitor(monitor&& other) noexcept = default;

monitor& monitor::operator=(monitor&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

monitor::~monitor() {
  stop();
}

void monitor::stop() noexcept {
  if (!state_) return;
  state_->reader.stop();
  if (!state_->thread.joinable()) return;
  if (state_->thread.get_id() == std::this_thread::get_id()) {
    state_->thread.detach();  // called from a callback: the thread ends after MONITOR_STOPPED
    return;
  }
  state_->thread.join();
}

bool monitor::running() const noexcept {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return !state_->ended;
}

bool monitor::wait_stopped(std::chrono::milliseconds timeout) const {
  if (!state_) return true;
  std::unique_lock lock(state_->mutex);
  return state_->ended_cv.wait_for(lock, timeout, [this] { return state_->ended; });
}

const std::string& monitor::address() const noexcept {
  static const std::string none;
  return state_ ? state_->reader.address() : none;
}

monitor_stats monitor::stats() const noexcept {
  if (!state_) return {};
  return {state_->delivered.load(std::memory_order_relaxed),
          state_->callback_errors.load(std::memory_order_relaxed),
          state_->reader.counters().malformed};
}

}  // namespace zmqsec::monitor
