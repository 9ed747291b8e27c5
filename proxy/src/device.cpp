#include <zmqsec/proxy/device.hpp>

#include <memory>
#include <mutex>
#include <utility>

#include <zmqsec/error.hpp>

#include "device_state.hpp"
#include "sockets.hpp"

namespace zmqsec::proxy {
namespace {

zmq::context_t& context_for(const device_config& config, detail::device_state& state) {
  if (config.context != nullptr) return *config.context;
  state.own_context = std::make_unique<zmq::context_t>(1);
  return *state.own_context;
}

// Both filters must pass; either may be empty.
message_filter combined_filter(message_filter given, message_filter made) {
  if (!given) return made;
  if (!made) return given;
  return [given = std::move(given), made = std::move(made)](zmq::message_t& first_frame) {
    return given(first_frame) && made(first_frame);
  };
}

// Makes every socket and binds and connects it; the sockets close (linger 0) if one fails.
void open_sockets(device_config& config, detail::device_state& s) {
  zmq::context_t& context = context_for(config, s);
  const detail::pattern_types types = detail::types_of(config.pattern);
  s.front = detail::make_side(context, types.front, config.front, "front");
  s.back = detail::make_side(context, types.back, config.back, "back");
  const bool capturing = !config.capture.bind.empty() || !config.capture.connect.empty();
  if (capturing) {
    s.capture = detail::make_side(context, zmq::socket_type::pub, config.capture, "capture");
  }
  if (config.configure) config.configure(s.front, s.back);
  s.front_filter = combined_filter(
      std::move(config.front_filter),
      config.make_front_filter ? config.make_front_filter(s.front) : message_filter());
  s.front_bound = detail::bind_and_connect(s.front, config.front, "front");
  s.back_bound = detail::bind_and_connect(s.back, config.back, "back");
  if (capturing) s.capture_bound = detail::bind_and_connect(s.capture, config.capture, "capture");
}

// Destroys the filter, then closes the sockets (linger 0). The caller holds s.terminating and
// the thread is not using them (ended, or the caller).
void close_sockets(detail::device_state& s) noexcept {
  s.front_filter = nullptr;  // what it owns may watch the front socket: it goes first
  s.front.close();
  s.back.close();
  s.capture.close();
  s.closed = true;
}

// The end of a thread that terminate() was called on: it closes its own sockets, unless a
// terminate() on another thread holds the lock (it waits for this thread, then closes them).
void close_on_own_thread(detail::device_state& s) noexcept {
  std::unique_lock lock(s.terminating, std::try_to_lock);
  if (lock.owns_lock() && !s.closed) close_sockets(s);
}

}  // namespace

device::device(device_config config) : state_(std::make_shared<detail::device_state>()) {
  open_sockets(config, *state_);
  // The body keeps the state alive, so that the filter may destroy the device (see terminate()).
  state_->thread.start(config.thread_name, [s = state_](const core::stop_view& stop) {
    // Whatever ends the body: the sockets closed if terminate() was called on this thread, and
    // pause() and resume() no longer wait for it.
    struct end_notice {
      detail::device_state& s;
      ~end_notice() {
        if (s.close_when_ended.load(std::memory_order_acquire)) close_on_own_thread(s);
        {
          std::lock_guard lock(s.mutex);
          s.ended = true;
        }
        s.changed.notify_all();
      }
    } notice{*s};
    detail::forward_until_stopped(*s, stop);
  });
}

device::~device() {
  terminate();
}

namespace {

void steer(detail::device_state& s, bool pause) {
  s.pause_requested.store(pause, std::memory_order_release);
  s.wake.notify();
  // From the filter, on the device's own thread: it cannot wait for itself; the request is in
  // force from the next message.
  if (s.thread.on_worker_thread()) return;
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&] { return s.paused_seen == pause || s.ended; });
}

}  // namespace

void device::pause() {
  steer(*state_, true);
}

void device::resume() {
  steer(*state_, false);
}

void device::terminate() {
  if (state_->thread.on_worker_thread()) {
    // From the filter: the thread cannot wait for itself, and the filter and the sockets are in
    // use under this call. The thread ends after the message under way and closes them then.
    state_->close_when_ended.store(true, std::memory_order_release);
    state_->thread.request_stop();
    return;
  }
  std::lock_guard lock(state_->terminating);
  if (state_->closed) return;
  state_->thread.stop();
  close_sockets(*state_);
}

device_stats device::statistics() const noexcept {
  const auto read = [](const detail::published_side& p) {
    return side_stats{p.messages_received.load(std::memory_order_relaxed),
                      p.bytes_received.load(std::memory_order_relaxed),
                      p.messages_sent.load(std::memory_order_relaxed),
                      p.bytes_sent.load(std::memory_order_relaxed)};
  };
  device_stats stats;
  stats.front = read(state_->front_stats);
  stats.back = read(state_->back_stats);
  stats.filtered = state_->filtered.load(std::memory_order_relaxed);
  stats.captured = state_->captured.load(std::memory_order_relaxed);
  stats.paused = state_->pause_requested.load(std::memory_order_relaxed);
  stats.running = running();
  return stats;
}

bool device::running() const noexcept {
  return state_->thread.running();
}

std::exception_ptr device::failure() const {
  return state_->thread.failure();
}

const std::vector<std::string>& device::front_endpoints() const noexcept {
  return state_->front_bound;
}

const std::vector<std::string>& device::back_endpoints() const noexcept {
  return state_->back_bound;
}

const std::vector<std::string>& device::capture_endpoints() const noexcept {
  return state_->capture_bound;
}

}  // namespace zmqsec::proxy
