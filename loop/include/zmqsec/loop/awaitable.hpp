// Awaitable ZeroMQ sockets: code that reads like blocking code, on any event_loop (the reactor,
// Asio, libuv). pyzmq's zmq.asyncio and green sockets, in C++20 coroutines.
//
//   zl::reactor loop;                                           // or asio_loop / uv_loop
//   zl::async_socket req{loop, zmq::socket_t{ctx, zmq::socket_type::req}};
//   req.socket().connect(endpoint);
//   zl::spawn(loop, [&]() -> zl::task<> {
//     for (int attempt = 0; attempt < 3; ++attempt) {
//       co_await req.send("ping");
//       if (auto reply = co_await req.recv_multipart(std::chrono::milliseconds(500))) {
//         std::cout << reply->front().to_string() << '\n';
//         co_return;
//       }
//       req.reset();                          // Lazy Pirate: a fresh socket, same options
//     }
//   });
//   loop.run();
//
// Semantics:
// - Built on socket_watch (the ZMQ_FD / ZMQ_EVENTS discipline): an awaiter waits on the loop, it
//   never polls. A receive or send that libzmq can do at once completes without suspending.
// - Several awaiters on one socket: receives are served first come, first served; sends go to
//   libzmq in the order they were awaited. Awaiters are resumed on the loop's thread only.
// - Cancellation: destroying the awaiting task (or its coroutine) takes its awaiter out of the
//   queue; a message is read from libzmq only for an awaiter that is resumed with it at once, so
//   a cancelled receive loses nothing (the message stays for the next receive). A cancelled or
//   timed-out send was not taken by libzmq (send with a timeout returns false then); a send that
//   completed was. Destroying the async_socket resumes its awaiters with zmqsec::error
//   (ECANCELED). Destroying the loop resumes nothing: the socket lets go of its awaiters and
//   their spawned frames are destroyed (loop_lifetime.hpp); the socket may outlive the loop
//   (its operations then end at once with ECANCELED). Errors from libzmq (EFSM for a REQ out of
//   turn, EHOSTUNREACH, ETERM) are thrown from the co_await as zmqsec::error with libzmq's code.
// - Loop thread only, like the socket it owns (spawn() puts coroutines there).
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/loop/stream.hpp>  // message
#include <zmqsec/loop/task.hpp>

namespace zmqsec::loop {

class async_socket;

namespace detail {

struct async_socket_state;

// One pending operation of an async_socket: a coroutine (or an Asio handler) waiting to receive,
// to send or for readability. Lives in the awaiting coroutine's frame; destroying it while it
// waits takes it out of the socket's queue.
class socket_operation {
 public:
  enum class kind { receive_frame, receive_message, send_message, readable };
  using duration = std::chrono::steady_clock::duration;

  socket_operation(std::shared_ptr<async_socket_state> state, kind what, message frames = {},
                   bool more = false) noexcept;
  socket_operation(const socket_operation&) = delete;
  socket_operation& operator=(const socket_operation&) = delete;
  virtual ~socket_operation();

  kind what() const noexcept { return kind_; }
  /// What it carries: the frames received, or the frames to send.
  message& frames() noexcept { return frames_; }
  /// The frame a single-frame receive got.
  zmq::message_t& frame() noexcept { return frame_; }

  /// Completes the operation at once if libzmq allows, or queues it (with a timeout if given);
  /// true if it waits, and finish() will be called once it ends.
  bool start(std::optional<duration> timeout);

  bool timed_out() const noexcept { return timed_out_; }
  event_loop& loop() const noexcept;
  /// Whether the socket's loop was destroyed (loop() must not be used then).
  bool loop_ended() const noexcept;
  int error() const noexcept { return error_; }
  /// Throws the zmqsec::error of a failed operation.
  void rethrow_error() const;

 protected:
  friend struct async_socket_state;
  /// Called once when a queued operation ends (completed, timed out or failed).
  virtual void finish() = 0;
  /// Called instead of finish() when the loop is destroyed: nothing may be resumed then. The
  /// coroutine's frame is destroyed by its owner; an operation that owns itself goes.
  virtual void abandon() noexcept {}

 private:
  std::shared_ptr<async_socket_state> state_;
  kind kind_;
  bool queued_ = false;
  bool timed_out_ = false;
  int error_ = 0;
  bool more_ = false;  // send: more frames of the same message follow the last one
  handle timer_;
  message frames_;
  zmq::message_t frame_;
};

// A socket_operation awaited by a coroutine.
template <class Result>
class operation_awaiter final : public socket_operation {
 public:
  operation_awaiter(std::shared_ptr<async_socket_state> state, kind what,
                    std::optional<duration> timeout = std::nullopt, message frames = {},
                    bool more = false) noexcept
      : socket_operation(std::move(state), what, std::move(frames), more), timeout_(timeout) {}

  bool await_ready() { return !start(timeout_); }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept { awaiting_ = awaiting; }
  Result await_resume() {
    rethrow_error();
    if constexpr (std::is_same_v<Result, bool>) {
      return !timed_out();
    } else if constexpr (std::is_same_v<Result, zmq::message_t>) {
      return std::move(frame());
    } else if constexpr (std::is_same_v<Result, std::optional<zmq::message_t>>) {
      if (timed_out()) return std::nullopt;
      return std::move(frame());
    } else if constexpr (std::is_same_v<Result, message>) {
      return std::move(frames());
    } else if constexpr (std::is_same_v<Result, std::optional<message>>) {
      if (timed_out()) return std::nullopt;
      return std::move(frames());
    }
  }

 private:
  void finish() override { std::exchange(awaiting_, nullptr).resume(); }
  std::optional<duration> timeout_;
  std::coroutine_handle<> awaiting_;
};

// A socket_operation whose end calls a function (Asio completion handlers). Owns itself from
// start() to its end; the function is called from the loop, never from within start().
class callback_operation final : public socket_operation {
 public:
  using done_function = std::function<void(int error, message frames)>;
  static void start(std::shared_ptr<async_socket_state> state, kind what, message frames,
                    done_function done);

 private:
  callback_operation(std::shared_ptr<async_socket_state> state, kind what, message frames,
                     done_function done)
      : socket_operation(std::move(state), what, std::move(frames)), done_(std::move(done)) {}
  void finish() override;
  void abandon() noexcept override;
  done_function done_;
};

// Defined by <zmqsec/loop/asio.hpp>: async_receive and async_send through asio::async_initiate.
template <class Signature, class Token, class Initiation>
auto asio_initiate(Initiation&& initiation, Token&& token);

}  // namespace detail

/// A ZeroMQ socket whose sends and receives are awaited. Move-only; loop thread only.
class async_socket {
 public:
  using duration = std::chrono::steady_clock::duration;
  template <class Result>
  using awaiter = detail::operation_awaiter<Result>;

  /// Takes socket over. Throws zmqsec::error if it cannot be watched (a closed socket).
  async_socket(event_loop& loop, zmq::socket_t socket);
  async_socket(async_socket&&) noexcept;
  async_socket& operator=(async_socket&&) noexcept;
  async_socket(const async_socket&) = delete;
  async_socket& operator=(const async_socket&) = delete;
  /// Resumes every awaiter with ECANCELED (at once, from here), then closes the socket.
  ~async_socket();

  /// The socket, for options, bind and connect. Send and receive through this object.
  zmq::socket_t& socket() noexcept;
  event_loop& loop() const noexcept;

  /// connect() and bind() that reset() repeats on the fresh socket.
  void connect(const std::string& endpoint);
  void bind(const std::string& endpoint);

  /// Sends one frame (flags: zmq::send_flags::sndmore for a frame that more follow).
  [[nodiscard]] awaiter<void> send(zmq::message_t frame,
                                   zmq::send_flags flags = zmq::send_flags::none);
  [[nodiscard]] awaiter<void> send(std::string_view text,
                                   zmq::send_flags flags = zmq::send_flags::none);
  /// Sends frames as one message.
  [[nodiscard]] awaiter<void> send_multipart(message frames);
  /// The same, giving up after timeout: false if libzmq did not take it (nothing was sent).
  [[nodiscard]] awaiter<bool> send_multipart(message frames, duration timeout);

  /// The next frame (more frames of the same message follow if it has ZMQ_RCVMORE).
  [[nodiscard]] awaiter<zmq::message_t> recv();
  [[nodiscard]] awaiter<std::optional<zmq::message_t>> recv(duration timeout);
  /// The next whole message.
  [[nodiscard]] awaiter<message> recv_multipart();
  [[nodiscard]] awaiter<std::optional<message>> recv_multipart(duration timeout);

  /// Asio's way, with any completion token (a callback void(std::error_code, message),
  /// asio::use_awaitable, asio::use_future, asio::deferred); needs <zmqsec/loop/asio.hpp>.
  /// Errors are libzmq's codes (zmqsec::core::zmq_category()), ECANCELED when cancelled.
  template <class Token>
  auto async_receive(Token&& token) {
    return detail::asio_initiate<void(std::error_code, message)>(
        [this](auto handler) { start_receive(wrap_handler<message>(std::move(handler))); },
        std::forward<Token>(token));
  }
  template <class Token>
  auto async_send(message frames, Token&& token) {
    return detail::asio_initiate<void(std::error_code)>(
        [this, frames = std::move(frames)](auto handler) mutable {
          start_send(std::move(frames), wrap_handler<void>(std::move(handler)));
        },
        std::forward<Token>(token));
  }

  /// Lazy Pirate: closes the socket and opens a fresh one of the same type, with the options
  /// libzmq lets us read back (linger, HWMs, timeouts, reconnect and heartbeat intervals, routing
  /// id, CURVE and PLAIN credentials, ZAP domain, ...) and the endpoints given to connect() and
  /// bind() (or, when there were none, connected again to the socket's last endpoint).
  /// Pending awaiters are resumed with ECANCELED. Write-only options (ZMQ_REQ_RELAXED, ...)
  /// must be set again on socket().
  void reset();

 private:
  friend class poll_awaiter;
  using done_function = detail::callback_operation::done_function;
  void start_receive(done_function done);
  void start_send(message frames, done_function done);
  // A copyable function around a move-only completion handler.
  template <class Result, class Handler>
  static done_function wrap_handler(Handler handler) {
    auto shared = std::make_shared<Handler>(std::move(handler));
    return [shared](int error, message frames) {
      const std::error_code code = error == 0 ? std::error_code() : make_zmq_error_code(error);
      if constexpr (std::is_void_v<Result>) {
        (*shared)(code);
      } else {
        (*shared)(code, std::move(frames));
      }
    };
  }
  static std::error_code make_zmq_error_code(int error) noexcept;
  std::shared_ptr<detail::async_socket_state> state_;
};

/// Awaits the first of several sockets to have a message to read, without reading it: the
/// index of that socket in the list, or nullopt after timeout (negative: none). pyzmq's green
/// Poller:  if (auto i = co_await zl::poll({frontend, backend}, 1s)) ...
class poll_awaiter {
 public:
  /// The sockets to poll, written {a, b} (a class rather than an initializer_list: GCC 12 cannot
  /// keep an initializer_list's array in a coroutine frame across the co_await).
  class socket_set {
   public:
    template <class... Sockets>
    requires(std::same_as<Sockets, async_socket>&&...) socket_set(Sockets&... sockets)
        : sockets_{&sockets...} {}  // NOLINT: {a, b} is the point
    explicit socket_set(std::vector<async_socket*> sockets) : sockets_(std::move(sockets)) {}
    const std::vector<async_socket*>& sockets() const noexcept { return sockets_; }

   private:
    std::vector<async_socket*> sockets_;
  };

  poll_awaiter(const socket_set& sockets, std::chrono::steady_clock::duration timeout);
  poll_awaiter(const poll_awaiter&) = delete;
  poll_awaiter& operator=(const poll_awaiter&) = delete;
  ~poll_awaiter();
  bool await_ready();
  void await_suspend(std::coroutine_handle<> awaiting) noexcept { awaiting_ = awaiting; }
  std::optional<std::size_t> await_resume();

 private:
  class watch;
  void ready(std::size_t index, int error) noexcept;
  std::vector<std::unique_ptr<watch>> watches_;
  std::optional<std::size_t> ready_;
  int error_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::duration timeout_;
  event_loop* loop_ = nullptr;
  handle timer_;
  std::coroutine_handle<> awaiting_;
};

[[nodiscard]] inline poll_awaiter poll(
    const poll_awaiter::socket_set& sockets,
    std::chrono::steady_clock::duration timeout = std::chrono::steady_clock::duration(-1)) {
  return {sockets, timeout};
}

/// Resumes the awaiting coroutine after delay, from the loop. Destroying it cancels the timer.
class sleep_awaiter {
 public:
  sleep_awaiter(event_loop& loop, std::chrono::steady_clock::duration delay) noexcept
      : loop_(loop), delay_(delay) {}
  bool await_ready() const noexcept {
    return delay_ <= std::chrono::steady_clock::duration::zero();
  }
  void await_suspend(std::coroutine_handle<> awaiting) {
    timer_ = loop_.call_later(delay_, [awaiting] { awaiting.resume(); });
  }
  void await_resume() const noexcept {}

 private:
  event_loop& loop_;
  std::chrono::steady_clock::duration delay_;
  handle timer_;
};

[[nodiscard]] inline sleep_awaiter sleep_for(event_loop& loop,
                                             std::chrono::steady_clock::duration delay) {
  return {loop, delay};
}

}  // namespace zmqsec::loop
