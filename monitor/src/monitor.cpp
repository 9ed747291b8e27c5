// The thread variant: one core::worker per monitor, whose body owns the reading end from start
// to close.
#include <zmqsec/core/worker.hpp>
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
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> callback_errors{0};
  event_counter counts;
  // Last: destroyed first, so that a worker destroyed on another thread joins before the reader
  // goes. Destroyed by its own body (a callback dropped the last monitor), it lets the thread end.
  core::worker thread;

  // The body ends on libzmq's MONITOR_STOPPED (after reader.stop(), or when the socket or its
  // context goes away), not on the worker's stop request: every event up to then is delivered.
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
  }

  void deliver(const event& e) noexcept {
    delivered.fetch_add(1, std::memory_order_relaxed);
    counts.count(e);
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
    // The body keeps the state alive, so a callback may destroy the monitor.
    state_->thread.start("zmqsec-monitor",
                         [state = state_](const core::stop_view&) { state->run(); });
  } catch (const error& e) {
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
  // From a callback this only asks: the body ends by itself after MONITOR_STOPPED.
  state_->thread.stop();
}

bool monitor::running() const noexcept {
  return state_ && state_->thread.running();
}

bool monitor::wait_stopped(std::chrono::milliseconds timeout) const {
  return !state_ || state_->thread.wait_ended(timeout);
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

event_counts monitor::counts() const {
  return state_ ? state_->counts.snapshot() : event_counts{};
}

}  // namespace zmqsec::monitor
