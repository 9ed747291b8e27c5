// Socket events delivered on an event loop (the reactor, Asio or libuv of zmqsec::loop) instead
// of a thread: the loop variant of monitor, for servers that run their sockets on a loop.
//
//   zmqsec::loop::reactor loop;
//   zmq::socket_t socket(ctx, zmq::socket_type::dealer);
//   zm::loop_monitor watch(ctx, socket, loop, [](const zm::event& e) {
//     std::clog << e.describe() << '\n';  // on the loop's thread
//   }, zm::handshake_events);
//   socket.connect("tcp://127.0.0.1:5555");
//   loop.run();
//
// The reading end (monitor_socket) is watched with loop::socket_watch; each wake-up delivers a
// bounded batch of events in libzmq's order, so one busy monitor does not starve the loop.
// stop() asks libzmq to stop; the events still queued, then MONITOR_STOPPED (if the mask has it)
// are delivered as the loop runs, and the reading end is closed on the loop thread once libzmq
// has said it is done (running() turns false). Closing the monitored socket or terminating the
// context ends it the same way.
//
// Threads and lifetime: construct, stop() and destroy on the loop's thread (or while the loop is
// not running); the callback runs there too and may stop or destroy the monitor. The destructor
// stops watching at once and detaches in the safe order (see monitor_socket.hpp), which reads the
// few events libzmq has already queued: it does not wait for the loop. As with monitor, destroy
// it while the monitored socket is open, or after running() has turned false.
#pragma once

#include <cstdint>
#include <memory>

#include <zmq.hpp>

#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/monitor/event.hpp>
#include <zmqsec/monitor/event_counts.hpp>
#include <zmqsec/monitor/monitor.hpp>

namespace zmqsec::monitor {

class loop_monitor {
 public:
  /// Attaches to socket and starts watching on loop. Throws zmqsec::error if libzmq refuses (see
  /// monitor_socket) or the loop cannot watch the reading end; then nothing is attached.
  loop_monitor(zmq::context_t& context, zmq::socket_ref socket, loop::event_loop& loop,
               event_callback on_event, event_mask events = all_events);
  loop_monitor(const loop_monitor&) = delete;
  loop_monitor& operator=(const loop_monitor&) = delete;
  loop_monitor(loop_monitor&&) noexcept;
  loop_monitor& operator=(loop_monitor&&) noexcept;
  ~loop_monitor();

  /// Asks libzmq to stop; what it had queued is still delivered as the loop runs. Returns at
  /// once. Does nothing twice.
  void stop() noexcept;
  /// True until libzmq has said it is done with this monitor and the reading end is closed.
  bool running() const noexcept;
  /// The inproc address libzmq publishes the events at.
  const std::string& address() const noexcept;

  monitor_stats stats() const noexcept;
  /// The events received so far by type, handshake failures by reason, the peers connected now.
  event_counts counts() const;

 private:
  struct state;
  std::shared_ptr<state> state_;  // the watch's callback holds it weakly; null when moved from
};

}  // namespace zmqsec::monitor
