// Readiness of a ZeroMQ socket on any event_loop, with the ZMQ_EVENTS discipline that ZMQ_FD
// needs; stream and loop_authenticator are built on it, and it is the reader/writer of a
// ZeroMQ socket for code that sends and receives by itself.
//
//   zmqsec::loop::socket_watch watch{loop, sub.handle(), ZMQ_POLLIN, [&](short events, int) {
//     for (int i = 0; i < 64; ++i) {            // a bounded batch: other sockets get their turn
//       zmq::message_t m;
//       if (!sub.recv(m, zmq::recv_flags::dontwait)) break;
//       use(m);
//     }
//   }};
//
// Why it is needed: ZMQ_FD is not readable when messages are waiting, it only says "ask
// ZMQ_EVENTS", and it says so once (an edge). Every send and every receive may consume that
// signal while leaving messages ready, so a loop that waits on the fd after one receive, or
// after a send, can wait forever with messages queued. The rule kept here: the callback runs
// while ZMQ_EVENTS shows an event of interest; after each callback ZMQ_EVENTS is read again
// (the last libzmq call before the loop waits on the fd, which makes the wait safe); if events
// remain, the next callback is posted to the loop rather than run at once, so that one busy
// socket does not starve the others. A send or receive made outside the callback must be
// followed by check(), which does the same from a posted task.
//
// The callback gets the ready events among the interest (ZMQ_POLLIN, ZMQ_POLLOUT), or
// ZMQ_POLLERR with the errno when ZMQ_EVENTS itself failed (ETERM: the context is being
// terminated); after an error the watch stops. It may destroy the watch (and close the socket).
// It may throw: the exception leaves the loop's run(), and the look at ZMQ_EVENTS after the
// callback is made all the same, so the socket is served again when the loop runs again.
// Loop thread only; the socket belongs to that thread.
#pragma once

#include <functional>
#include <memory>

#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

class socket_watch {
 public:
  using callback = std::function<void(short events, int error)>;

  /// Watches socket (a libzmq socket handle, e.g. zmq::socket_t::handle()) for interest.
  /// Throws zmqsec::error if the socket's ZMQ_FD cannot be read or watched.
  socket_watch(event_loop& loop, void* socket, short interest, callback on_ready);
  socket_watch(socket_watch&&) noexcept;
  socket_watch& operator=(socket_watch&&) noexcept;
  socket_watch(const socket_watch&) = delete;
  socket_watch& operator=(const socket_watch&) = delete;
  /// Stops watching; never touches the socket.
  ~socket_watch();

  /// What to call back for (0: nothing, but the watch stays).
  void set_interest(short interest);
  short interest() const noexcept;

  /// Call after sending or receiving on the socket outside the callback: re-reads ZMQ_EVENTS
  /// from a posted task (one per burst of calls) and calls back if something is ready.
  void check();

  /// Stops watching now (before the socket is closed).
  void cancel() noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace zmqsec::loop
