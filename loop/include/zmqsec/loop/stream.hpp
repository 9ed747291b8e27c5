// A ZeroMQ socket on an event loop: pyzmq's ZMQStream in C++. Whole multipart messages come to
// on_recv; send() and send_multipart() never block, they queue what the socket cannot take yet
// (high-water mark, REQ/REP turn) and the stream sends it when the socket can. Any socket type,
// on any event_loop (reactor, asio_loop, uv_loop).
//
//   zmqsec::loop::stream server{loop, zmq::socket_t{ctx, zmq::socket_type::router}};
//   server.socket().bind("tcp://127.0.0.1:*");
//   server.on_recv([&](zmqsec::loop::message& m) {   // [routing id][body]
//     server.send_multipart(std::move(m));            // echo
//   });
//   server.on_error([](std::error_code e) { std::cerr << e.message() << '\n'; });
//   ...
//   server.close([](std::size_t dropped) { /* on the loop, after the socket is closed */ });
//
// Receiving drains the socket in batches (up to batch messages per turn, then the other
// sockets of the loop get theirs); after every turn ZMQ_EVENTS is read again (see
// socket_watch.hpp), so no message waits unseen. Sends go out at once when the queue is empty
// and the socket takes them; otherwise in order, as the socket becomes writable.
//
// Errors: a failed send or receive other than "not now" (EAGAIN, and EFSM for a REQ or REP out
// of turn, which waits for its turn) goes to on_error; a message libzmq refused to send is
// dropped (EHOSTUNREACH of a ROUTER with ZMQ_ROUTER_MANDATORY, ...). ETERM (the context is
// being terminated) closes the stream after on_error, so that the termination can finish.
// An exception a callback throws leaves the loop's run() (or flush() or send()) and drops
// nothing else: the messages behind it are received when the loop runs again.
//
// Lifetime: the stream owns the socket. Destroying the stream closes it, also from inside one of
// the stream's own callbacks. Loop thread only (or before the loop runs); the event_loop must
// outlive the stream.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <ranges>
#include <string_view>
#include <system_error>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

/// A multipart message: its frames in order.
using message = std::vector<zmq::message_t>;

/// libzmq's error codes (errno values and libzmq's own, such as ETERM and EFSM), named by
/// zmq_strerror: zmqsec::core::zmq_category(), the one every zmqsec module uses.
const std::error_category& zmq_category() noexcept;

namespace detail {
class stream_impl;
}

class stream {
 public:
  /// Messages read (and queued messages sent) per turn before the loop serves others.
  static constexpr std::size_t default_batch = 64;

  /// Throws zmqsec::error if the socket is closed or cannot be watched.
  stream(event_loop& loop, zmq::socket_t socket);
  stream(stream&&) noexcept;
  stream& operator=(stream&&) noexcept;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  /// close() without a close callback.
  ~stream();

  /// The socket, for options, bind and connect. Send and receive through the stream only.
  zmq::socket_t& socket();

  /// Calls callback with each whole message received; it may move the frames out. An empty
  /// callback stops receiving (stop_on_recv()): messages then wait in libzmq's queue.
  void on_recv(std::function<void(message&)> callback);
  void stop_on_recv();
  bool receiving() const noexcept;

  /// Calls keep with each whole message received, before on_recv: a message it returns false for
  /// is dropped (counted in the turn's batch; on_recv never sees it). For checks that belong to
  /// every message of a socket, such as auth's session_guard (session_guard::guard(stream)).
  /// Empty: every message goes to on_recv.
  void set_filter(std::function<bool(const message&)> keep);

  /// Calls callback after each queued message went to libzmq, with how many are still queued.
  void on_send(std::function<void(std::size_t queued)> callback);
  /// Errors of sends and receives (see the top); codes of zmq_category().
  void on_error(std::function<void(std::error_code)> callback);

  /// Queues a message (sent at once if nothing is queued and the socket takes it).
  void send(zmq::message_t frame);
  void send(std::string_view frame);
  void send_multipart(message frames);
  /// Any range of strings or string views, copied into frames.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
  void send_multipart(const R& frames) {
    message copy;
    for (const auto& frame : frames) {
      std::string_view view(frame);
      copy.emplace_back(view.data(), view.size());
    }
    send_multipart(std::move(copy));
  }

  /// Messages queued in the stream (not yet taken by libzmq).
  std::size_t queued() const noexcept;

  /// Handles what is pending now, without waiting for the loop: received messages first (to
  /// on_recv), then queued sends, alternating, until neither can go on or limit messages were
  /// handled. events chooses which (readable: receive, writable: send). Returns how many.
  std::size_t flush(io_events events = io_events::readable | io_events::writable,
                    std::size_t limit = std::numeric_limits<std::size_t>::max());

  /// Messages per turn (at least 1).
  void set_batch(std::size_t messages);

  /// Stops watching and closes the socket (with its linger); messages still queued in the
  /// stream are dropped. on_close (if any) is then called from the loop with their number.
  /// Does nothing the second time.
  void close(std::function<void(std::size_t dropped)> on_close = {});
  bool closed() const noexcept;

  event_loop& loop() const noexcept;

 private:
  std::shared_ptr<detail::stream_impl> impl_;  // null only when moved from
};

}  // namespace zmqsec::loop
