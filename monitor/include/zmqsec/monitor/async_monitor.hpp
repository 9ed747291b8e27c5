// Socket events awaited in a coroutine on an event loop (zmqsec::loop's task and spawn): the
// reading end of a monitor_socket, read when the loop says it is readable.
//
//   zl::async_socket req{loop, zmq::socket_t{ctx, zmq::socket_type::req}};
//   zm::async_monitor events{ctx, req.socket(), loop, zm::handshake_events};  // after req: goes
//   first req.connect(endpoint); zl::spawn(loop, [&]() -> zl::task<> {
//     while (auto e = co_await events.next(std::chrono::seconds(5))) {
//       std::cout << e->describe() << '\n';
//       if (zm::handshake_events.contains(e->type)) break;
//     }
//   });
//
// The detach order is monitor_socket's (see monitor_socket.hpp): the destructor asks libzmq to
// stop and reads until MONITOR_STOPPED before it closes the reading end, so destroy the monitor
// while the monitored socket is open (declare it after the socket: it goes first). A Lazy Pirate
// client makes a fresh socket and a fresh monitor per attempt rather than async_socket::reset(),
// which would close the monitored socket under its monitor.
//
// Loop thread only. One next() at a time. Destroying the awaiting coroutine (or the loop, which
// destroys spawned frames) cancels the wait; no event is lost by it.
#pragma once

#include <chrono>
#include <optional>

#include <zmq.hpp>

#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/loop/task.hpp>
#include <zmqsec/monitor/event.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

namespace zmqsec::monitor {

class async_monitor {
 public:
  /// Attaches to socket (see monitor_socket for what libzmq may refuse).
  async_monitor(zmq::context_t& context, zmq::socket_ref socket, loop::event_loop& loop,
                event_mask events = all_events);

  /// The next event in the mask; nullopt when none came within timeout, or once libzmq has
  /// stopped the monitor (after MONITOR_STOPPED, if the mask has it).
  loop::task<std::optional<event>> next(std::chrono::milliseconds timeout);
  /// An event already queued, without waiting (nullopt if none).
  std::optional<event> poll();

  /// Asks libzmq to stop (see monitor_socket::stop); next() then returns what is queued, then
  /// nullopt.
  void stop() noexcept { events_.stop(); }
  bool stopped() const noexcept { return events_.stopped(); }

 private:
  monitor_socket events_;
  loop::event_loop& loop_;
};

}  // namespace zmqsec::monitor
