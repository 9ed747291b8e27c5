// What the device and its thread share: the sockets (the thread's once it runs), the steering
// flags, and the counters the thread publishes after each wake-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/proxy/device.hpp>

namespace zmqsec::proxy::detail {

/// Counters written by the thread alone (relaxed stores), read by statistics() at any time.
struct published_side {
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
};

struct device_state {
  std::unique_ptr<zmq::context_t> own_context;  // first: outlives the sockets
  zmq::socket_t front;
  zmq::socket_t back;
  zmq::socket_t capture;  // null handle: no capture
  std::vector<std::string> front_bound;
  std::vector<std::string> back_bound;
  std::vector<std::string> capture_bound;
  message_filter front_filter;  // after the sockets: destroyed before them

  // Steering: the caller sets pause_requested and wakes the thread; the thread says what it
  // now does in paused_seen (under mutex) and notifies; ended once its body returned.
  core::wakeup_fd wake;
  std::atomic<bool> pause_requested{false};
  std::mutex mutex;
  std::condition_variable changed;
  bool paused_seen = false;
  bool ended = false;

  published_side front_stats;
  published_side back_stats;
  std::atomic<std::uint64_t> filtered{0};
  std::atomic<std::uint64_t> captured{0};

  std::mutex terminating;  // serialises terminate() and the closing of the sockets
  bool closed = false;     // guarded by terminating
  // terminate() was called on the thread itself (by the filter): the thread closes the sockets
  // as it ends.
  std::atomic<bool> close_when_ended{false};
  core::worker thread;  // last: stopped and joined before the rest goes
};

/// The thread's body: forwards until stop is requested. Throws zmqsec::error when a socket
/// fails (the worker keeps it for device::failure()).
void forward_until_stopped(device_state& state, const core::stop_view& stop);

}  // namespace zmqsec::proxy::detail
