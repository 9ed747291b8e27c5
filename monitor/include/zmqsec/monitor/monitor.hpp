// Socket events delivered to a callback on a thread of the monitor's own, from attach to a
// detach that neither hangs nor leaks (cppzmq#185, libzmq#3575).
//
//   zmq::socket_t socket(ctx, zmq::socket_type::dealer);
//   zm::monitor watch(ctx, socket, [](const zm::event& e) {
//     std::clog << e.describe() << '\n';     // "CONNECTED tcp://127.0.0.1:5555: fd 12"
//   });
//   socket.connect("tcp://127.0.0.1:5555");
//   // ...
//   // ~monitor (or stop()): detaches, delivers what was left, and joins the thread
//
// The thread reads a monitor_socket (see monitor_socket.hpp for the order of attach and detach)
// and calls the callback for each event in the mask, one at a time, in libzmq's order. stop()
// asks libzmq to stop; the thread goes on delivering until libzmq's MONITOR_STOPPED (delivered
// too if the mask has it), closes the reading end and ends; stop() returns after that. When the
// monitored socket is closed or its context terminated, libzmq stops by itself and the thread
// ends the same way (running() turns false).
//
// Lifetime: destroy (or stop()) the monitor while the socket is open, on the socket's thread;
// or, after closing the socket or terminating the context first, call wait_stopped() before
// destroying it (stop() would otherwise touch a socket libzmq may have freed). The context must
// outlive the monitor.
//
// Callbacks run on the monitor's thread and must not wait for the thread that owns the monitor
// (which may be waiting in stop()). An exception a callback throws is caught and counted. A
// callback may call stop() or destroy the monitor: that asks libzmq to stop and returns at once;
// the thread then ends by itself after MONITOR_STOPPED.
//
// A loop variant plugs in at the same seam: a loop watches monitor_socket::socket() for
// readability, drains receive(0ms) on each wake-up and dispatches; its stop() calls
// monitor_socket::stop() and keeps the watch until stopped(), then closes the reading end on the
// loop's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <zmq.hpp>

#include <zmqsec/monitor/event.hpp>
#include <zmqsec/monitor/event_counts.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

namespace zmqsec::monitor {

/// Receives each event in the mask, on the monitor's thread.
using event_callback = std::function<void(const event&)>;

/// What a monitor has done.
struct monitor_stats {
  std::uint64_t delivered = 0;        ///< callback calls
  std::uint64_t callback_errors = 0;  ///< exceptions thrown by the callback (caught)
  std::uint64_t malformed = 0;        ///< messages on the monitor socket that were not events
};

namespace detail {
struct monitor_state;
}

class monitor {
 public:
  /// Attaches to socket and starts the thread. Throws zmqsec::error if libzmq refuses (see
  /// monitor_socket) or the thread cannot start; then nothing is attached.
  monitor(zmq::context_t& context, zmq::socket_ref socket, event_callback on_event,
          event_mask events = all_events);
  monitor(const monitor&) = delete;
  monitor& operator=(const monitor&) = delete;
  monitor(monitor&&) noexcept;
  monitor& operator=(monitor&&) noexcept;
  /// stop().
  ~monitor();

  /// Detaches: after it returns, the callback has been called for the last time and the thread
  /// has ended. Called from the callback, it returns at once (see above). Does nothing twice.
  void stop() noexcept;
  /// True until libzmq has said it is done with this monitor (after stop(), or after the socket
  /// was closed or its context terminated) and the thread has ended.
  bool running() const noexcept;
  /// Waits until running() is false or timeout passes; returns !running().
  bool wait_stopped(std::chrono::milliseconds timeout) const;
  /// The inproc address libzmq publishes the events at.
  const std::string& address() const noexcept;

  monitor_stats stats() const noexcept;
  /// The events received so far by type, handshake failures by reason, the peers connected now.
  event_counts counts() const;

 private:
  std::shared_ptr<detail::monitor_state> state_;  // shared with the thread; null when moved from
};

}  // namespace zmqsec::monitor
