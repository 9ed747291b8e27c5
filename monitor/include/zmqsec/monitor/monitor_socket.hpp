// The reading end of a socket monitor, attached and detached in the only order that neither
// hangs nor leaks: the building block of monitor (a thread of its own) and of anything that
// polls the events itself (a loop, zmq-monitor).
//
//   zm::monitor_socket events(ctx, socket, zm::handshake_events);
//   socket.connect("tcp://127.0.0.1:5555");
//   while (auto e = events.receive(std::chrono::seconds(1))) std::cout << e->describe() << '\n';
//   events.stop();             // on the socket's thread, while the socket is open
//   while (!events.stopped()) events.receive(std::chrono::milliseconds(-1));
//   // the destructor does both and closes the reading end
//
// Attaching: zmq_socket_monitor() makes the monitored socket bind a PAIR at a unique inproc
// address of the context (inproc://zmqsec.monitor.N) and send every event in the mask there,
// plus MONITOR_STOPPED, which the monitor always asks for to know when libzmq is done with it;
// this object's PAIR connects to it. The reading end takes every event libzmq sends without a
// limit (its receive high-water mark is 0), because libzmq sends events with blocking sends from
// its I/O threads: a full or missing reader would stall every connection of the context
// (libzmq#3575).
//
// Detaching: stop() asks libzmq to stop (zmq_socket_monitor(socket, nullptr, 0)); libzmq then
// sends MONITOR_STOPPED and closes its end. Only once MONITOR_STOPPED (or ETERM) has been read may
// the reading end close, so the reader keeps reading until stopped() is true. libzmq also stops
// the monitor by itself when the monitored socket is closed (the reaper sends MONITOR_STOPPED
// when it destroys the socket) or its context is terminated (the reading end gets ETERM): both
// make stopped() true without stop().
//
// Threads: stop() touches the monitored socket and is meant for its thread (libzmq guards the
// monitor with a mutex of its own, so calling it from the reading thread is safe too, as long
// as the socket is open); receive(), close() and the destructor use the reading end and belong
// to one thread at a time. stopped() may be read from anywhere.
//
// Lifetime: the monitored socket must be open when the monitor is created, and still open at
// stop() (or the destructor) unless stopped() is already true. Closing the socket first is fine
// if the reader then reads until stopped() (monitor::wait_stopped() does that for the thread
// variant): after a socket is closed its memory goes away, and a stop() that came after that
// would read freed memory. The context must outlive the monitor.
//
// One monitor per socket: libzmq keeps one, and attaching a second stops the first (which then
// reads MONITOR_STOPPED and is stopped()). Calling stop() on the first before it has read that
// would stop the second.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor {

/// What a monitor_socket has seen.
struct monitor_counters {
  std::uint64_t received = 0;   ///< well-formed events read (MONITOR_STOPPED included)
  std::uint64_t malformed = 0;  ///< messages that were not monitor events (skipped)
};

class monitor_socket {
 public:
  /// Attaches to socket and connects the reading end. Throws zmqsec::error with the errno when
  /// libzmq refuses (ETERM: the context is terminated; ENOTSOCK: not an open socket).
  monitor_socket(zmq::context_t& context, zmq::socket_ref socket, event_mask events = all_events);
  monitor_socket(const monitor_socket&) = delete;
  monitor_socket& operator=(const monitor_socket&) = delete;
  /// stop(), reads until stopped() and closes the reading end. Waits only for libzmq: a stopped
  /// monitor's MONITOR_STOPPED is already queued when stop() returns.
  ~monitor_socket();

  /// The reading end, to poll (ZMQ_POLLIN) with other sockets; read it only through receive().
  zmq::socket_ref socket() noexcept { return reader_; }
  /// The inproc address libzmq publishes the events at.
  const std::string& address() const noexcept { return address_; }
  /// The events asked for.
  event_mask events() const noexcept { return events_; }

  /// The next event in the mask, or nullopt when none arrives within timeout (negative: until
  /// one does), when the monitor is stopped (MONITOR_STOPPED is returned if the mask has it,
  /// then nullopt for ever), or when a malformed message was skipped. Never throws for what
  /// libzmq sends; throws zmqsec::error if the reading end fails otherwise than with ETERM.
  std::optional<event> receive(std::chrono::milliseconds timeout);

  /// Asks libzmq to stop monitoring (once; nothing if stopped() already). Returns at once; the
  /// reader then reads until stopped(). noexcept: a socket already closed or a terminated
  /// context only mean libzmq stops by itself.
  void stop() noexcept;
  /// True once libzmq has said it is done (MONITOR_STOPPED read, or ETERM on the reading end).
  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  /// True once stop() was called.
  bool stop_requested() const noexcept { return stop_requested_.load(std::memory_order_acquire); }

  /// Closes the reading end. Call it only once stopped() (before that the destructor's order is
  /// the safe one); a second call does nothing.
  void close() noexcept;

  monitor_counters counters() const noexcept {
    return {received_.load(std::memory_order_relaxed), malformed_.load(std::memory_order_relaxed)};
  }

 private:
  void* monitored_;
  event_mask events_;
  std::string address_;
  zmq::socket_t reader_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> malformed_{0};
};

}  // namespace zmqsec::monitor
