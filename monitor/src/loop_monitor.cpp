#include <zmqsec/monitor/loop_monitor.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

#include <zmqsec/loop/socket_watch.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

namespace zmqsec::monitor {

namespace {
// Events delivered per wake-up before the loop gets its turn again (socket_watch posts the rest).
constexpr int batch = 64;
}  // namespace

struct loop_monitor::state {
  state(zmq::context_t& context, zmq::socket_ref socket, event_callback callback, event_mask mask)
      : events(context, socket, mask), on_event(std::move(callback)) {}

  // Delivers what is queued (a batch), then lets go of the reading end once libzmq is done.
  void drain() {
    for (int i = 0; i < batch && !closed; ++i) {
      std::optional<event> e;
      try {
        e = events.receive(std::chrono::milliseconds(0));
      } catch (...) {
        break;  // the reading end failed: libzmq is going away; stopped() says so below
      }
      if (!e) break;  // nothing now (or a malformed message skipped: the watch calls again)
      counts.count(*e);
      try {
        on_event(*e);
        delivered.fetch_add(1, std::memory_order_relaxed);
      } catch (...) {
        callback_errors.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (!closed && events.stopped()) finish();
  }

  // Stops watching and closes the reading end (libzmq is done with it).
  void finish() noexcept {
    closed = true;
    watch.reset();  // allowed from the watch's own callback
    events.close();
  }

  monitor_socket events;
  event_callback on_event;
  std::optional<loop::socket_watch> watch;
  bool closed = false;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> callback_errors{0};
  event_counter counts;
};

loop_monitor::loop_monitor(zmq::context_t& context, zmq::socket_ref socket, loop::event_loop& loop,
                           event_callback on_event, event_mask events)
    : state_(std::make_shared<state>(context, socket, std::move(on_event), events)) {
  std::weak_ptr<state> weak = state_;
  state_->watch.emplace(loop, state_->events.socket().handle(), ZMQ_POLLIN, [weak](short, int) {
    // Held for the whole callback: the monitor may be destroyed in it.
    if (auto s = weak.lock()) s->drain();
  });
}

loop_monitor::loop_monitor(loop_monitor&&) noexcept = default;

loop_monitor& loop_monitor::operator=(loop_monitor&& other) noexcept {
  if (this != &other) {
    loop_monitor gone(std::move(*this));
    state_ = std::move(other.state_);
  }
  return *this;
}

// Stops watching now; the monitor_socket's destructor (here, or at the end of the callback under
// way) stops libzmq's monitor and reads until MONITOR_STOPPED before closing the reading end.
loop_monitor::~loop_monitor() {
  if (!state_) return;
  state_->closed = true;
  state_->watch.reset();
  state_.reset();
}

void loop_monitor::stop() noexcept {
  if (state_ && !state_->closed) state_->events.stop();
}

bool loop_monitor::running() const noexcept {
  return state_ && !state_->closed;
}

const std::string& loop_monitor::address() const noexcept {
  static const std::string none;
  return state_ ? state_->events.address() : none;
}

monitor_stats loop_monitor::stats() const noexcept {
  if (!state_) return {};
  const auto counters = state_->events.counters();
  monitor_stats s;
  s.delivered = state_->delivered.load(std::memory_order_relaxed);
  s.callback_errors = state_->callback_errors.load(std::memory_order_relaxed);
  s.malformed = counters.malformed;
  return s;
}

event_counts loop_monitor::counts() const {
  return state_ ? state_->counts.snapshot() : event_counts{};
}

}  // namespace zmqsec::monitor
