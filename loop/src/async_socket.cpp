// async_socket: queues of waiting operations on one socket_watch. A message is read from libzmq
// only for the operation at the head of the receive queue, and that operation is finished (its
// coroutine resumed) at once, so nothing read is ever left without an owner.
#include <zmqsec/loop/awaitable.hpp>

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <utility>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/loop/socket_watch.hpp>

#include "socket_options.hpp"

namespace zmqsec::loop {
namespace detail {

namespace {
// Operations completed without waiting before the socket must wait for the loop once, so that a
// coroutine that always finds a message ready cannot keep the loop from other sockets.
constexpr int fast_path_budget = 64;
// Waiting operations ended per queue and turn.
constexpr int serve_batch = 64;
}  // namespace

struct async_socket_state final : std::enable_shared_from_this<async_socket_state>, loop_resident {
  using kind = socket_operation::kind;

  async_socket_state(event_loop& l, zmq::socket_t s)
      : loop(l), lifetime(l.lifetime()), socket(std::move(s)) {
    lifetime->enter(*this, resident_kind::socket);
  }
  ~async_socket_state() { lifetime->leave(*this); }

  event_loop& loop;  // not to be touched once the lifetime has ended: the loop is gone
  std::shared_ptr<loop_lifetime> lifetime;
  zmq::socket_t socket;
  std::optional<socket_watch> watch;
  std::deque<socket_operation*> receivers;  // receive_frame and receive_message, first come first
  std::deque<socket_operation*> senders;
  std::deque<socket_operation*> pollers;                // readable
  std::vector<std::pair<bool, std::string>> endpoints;  // bound?, endpoint
  int budget = fast_path_budget;
  bool closed = false;

  void open() {
    if (lifetime->ended()) {
      throw zmqsec::error(std::error_code(ECANCELED, std::generic_category()),
                          "async_socket: its loop was destroyed");
    }
    if (socket.handle() == nullptr) {
      throw zmqsec::error(errc::invalid_argument, "async_socket: the socket is closed");
    }
    closed = false;
    watch.emplace(loop, socket.handle(), 0,
                  [this](short events, int error) { on_ready(events, error); });
  }

  std::deque<socket_operation*>& queue_of(kind what) noexcept {
    if (what == kind::send_message) return senders;
    if (what == kind::readable) return pollers;
    return receivers;
  }

  void update_interest() {
    if (!watch) return;
    const short in = receivers.empty() && pollers.empty() ? 0 : ZMQ_POLLIN;
    watch->set_interest(static_cast<short>(in | (senders.empty() ? 0 : ZMQ_POLLOUT)));
  }

  // 1: done (or failed: op.error_ set), 0: libzmq cannot now (EAGAIN).
  int attempt(socket_operation& op) {
    switch (op.kind_) {
      case kind::receive_frame:
        return receive(op, false);
      case kind::receive_message:
        return receive(op, true);
      case kind::send_message:
        return send(op);
      case kind::readable:
        return readable() ? 1 : 0;
    }
    return 0;
  }

  bool readable() {
    int events = 0;
    std::size_t size = sizeof events;
    return zmq_getsockopt(socket.handle(), ZMQ_EVENTS, &events, &size) == 0 &&
           (events & ZMQ_POLLIN) != 0;
  }

  int receive(socket_operation& op, bool whole) {
    if (!whole) return receive_frame(op);
    message& frames = op.frames_;
    frames.clear();
    for (;;) {
      zmq::message_t frame;
      if (zmq_msg_recv(frame.handle(), socket.handle(), ZMQ_DONTWAIT) < 0) {
        const int err = zmq_errno();
        if (err == EINTR) continue;
        if (err == EAGAIN && frames.empty()) return 0;
        op.error_ = err;  // EAGAIN within a message cannot happen: libzmq delivers whole ones
        return 1;
      }
      const bool more = frame.more();
      frames.push_back(std::move(frame));
      if (!more) return 1;
    }
  }

  // One frame, straight into the operation (no vector for the common single-frame receive).
  int receive_frame(socket_operation& op) {
    while (zmq_msg_recv(op.frame_.handle(), socket.handle(), ZMQ_DONTWAIT) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      if (err == EAGAIN) return 0;
      op.error_ = err;
      return 1;
    }
    return 1;
  }

  int send(socket_operation& op) {
    message& frames = op.frames_;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const bool last = i + 1 == frames.size();
      const int flags = ZMQ_DONTWAIT | (!last || op.more_ ? ZMQ_SNDMORE : 0);
      // The frame's content moves into libzmq only when it is taken.
      while (zmq_msg_send(frames[i].handle(), socket.handle(), flags) < 0) {
        const int err = zmq_errno();
        if (err == EINTR) continue;
        if (err == EAGAIN && i == 0) return 0;  // the first frame decides for the message
        op.error_ = err;
        return 1;
      }
    }
    return 1;
  }

  bool start(socket_operation& op, std::optional<socket_operation::duration> timeout) {
    if (closed) {
      op.error_ = ECANCELED;
      return false;
    }
    auto& queue = queue_of(op.kind_);
    if (queue.empty() && budget > 0 && attempt(op) != 0) {
      --budget;
      // libzmq may have consumed the fd's edge; someone else waiting must still hear of it.
      if (watch->interest() != 0) watch->check();
      return false;
    }
    if (timeout && *timeout <= socket_operation::duration::zero()) {
      op.timed_out_ = true;
      return false;
    }
    queue.push_back(&op);
    op.queued_ = true;
    if (timeout) {
      op.timer_ = loop.call_later(*timeout, [this, &op] { time_out(op); });
    }
    update_interest();
    watch->check();  // a message may be waiting with its edge consumed (budget spent)
    return true;
  }

  void remove(socket_operation& op) noexcept {
    auto& queue = queue_of(op.kind_);
    if (auto it = std::find(queue.begin(), queue.end(), &op); it != queue.end()) queue.erase(it);
    op.queued_ = false;
    try {
      update_interest();
    } catch (...) {
      // set_interest can only fail to post a check (out of memory): the next event covers it.
    }
  }

  void time_out(socket_operation& op) {
    auto self = shared_from_this();
    remove(op);
    op.timed_out_ = true;
    op.finish();
  }

  // Ends op (taken out of its queue already): it may resume a coroutine that does anything.
  static void end(socket_operation& op) {
    op.queued_ = false;
    op.timer_.cancel();
    op.finish();
  }

  // At most a batch per turn: what is still ready then waits for the next turn (socket_watch
  // posts it), so that one busy socket does not keep the loop from the others.
  void serve(std::deque<socket_operation*>& queue) {
    for (int served = 0; served < serve_batch && !queue.empty() && !closed; ++served) {
      socket_operation* op = queue.front();
      if (attempt(*op) == 0) return;
      queue.pop_front();
      end(*op);
    }
  }

  void on_ready(short events, int error) {
    auto self = shared_from_this();  // a resumed coroutine may destroy the async_socket
    budget = fast_path_budget;
    if (error != 0) {
      fail_all(error);
      return;
    }
    if ((events & ZMQ_POLLIN) != 0) serve(receivers);
    if ((events & ZMQ_POLLOUT) != 0 && !closed) serve(senders);
    if (!closed) serve(pollers);
    if (!closed) update_interest();
  }

  // Ends every waiting operation with error; the queues are empty afterwards.
  void fail_all(int error) {
    auto self = shared_from_this();
    for (auto* queue : {&receivers, &senders, &pollers}) {
      while (!queue->empty()) {
        socket_operation* op = queue->front();
        queue->pop_front();
        op->error_ = error;
        end(*op);
      }
    }
  }

  // The loop is being destroyed (and still works): stop watching, and let go of every waiting
  // operation without resuming it. Nothing was read for a receive nor taken for a send.
  void loop_ending() noexcept override {
    // An abandoned Asio operation may hold the last reference to this state.
    auto self = shared_from_this();
    closed = true;
    watch.reset();
    for (auto* queue : {&receivers, &senders, &pollers}) {
      while (!queue->empty()) {
        socket_operation* op = queue->front();
        queue->pop_front();
        op->queued_ = false;
        op->timer_.cancel();
        op->error_ = ECANCELED;
        op->abandon();  // its frame is destroyed by whoever owns it (spawn: the lifetime)
      }
    }
  }

  // The socket is closed here, not when the last reference to this state goes: a resumed
  // coroutine may end its context (zmq_ctx_term waits for every socket) while on_ready, which
  // holds this state, is still under way.
  void close() noexcept {
    closed = true;
    watch.reset();
    try {
      fail_all(ECANCELED);
    } catch (...) {
      // A resumed coroutine's exception stays in its task; nothing else can throw here.
    }
    socket.close();
  }
};

socket_operation::socket_operation(std::shared_ptr<async_socket_state> state, kind what,
                                   message frames, bool more) noexcept
    : state_(std::move(state)), kind_(what), more_(more), frames_(std::move(frames)) {}

socket_operation::~socket_operation() {
  if (queued_ && state_) state_->remove(*this);
}

event_loop& socket_operation::loop() const noexcept {
  return state_->loop;
}

bool socket_operation::start(std::optional<duration> timeout) {
  return state_->start(*this, timeout);
}

void socket_operation::rethrow_error() const {
  if (error_ == ECANCELED) {
    throw zmqsec::error(std::error_code(ECANCELED, std::generic_category()),
                        "async_socket: cancelled (the socket was closed or reset)");
  }
  if (error_ != 0) throw core::zmq_error(error_, "async_socket");
}

bool socket_operation::loop_ended() const noexcept {
  return state_->lifetime->ended();
}

void callback_operation::start(std::shared_ptr<async_socket_state> state, kind what, message frames,
                               done_function done) {
  auto op = std::unique_ptr<callback_operation>(
      new callback_operation(std::move(state), what, std::move(frames), std::move(done)));
  // The loop is gone: the handler is destroyed uncalled, as the loop's end does with the others.
  if (op->loop_ended()) return;
  if (op->socket_operation::start(std::nullopt)) {
    op.release();  // finish() or abandon() will end it
    return;
  }
  // Done at once: the handler must not run inside the initiating call (Asio's rule). A task the
  // loop drops unrun (it was destroyed) still frees the operation.
  event_loop& loop = op->loop();
  auto owned = std::make_shared<std::unique_ptr<callback_operation>>(std::move(op));
  loop.post([owned] { owned->release()->finish(); });
}

void callback_operation::abandon() noexcept {
  delete this;
}

void callback_operation::finish() {
  done_function done = std::move(done_);
  const int code = error();
  message received = std::move(frames());
  delete this;
  done(code, std::move(received));
}

}  // namespace detail

// ---- async_socket ----

async_socket::async_socket(event_loop& loop, zmq::socket_t socket)
    : state_(std::make_shared<detail::async_socket_state>(loop, std::move(socket))) {
  state_->open();
}

async_socket::async_socket(async_socket&&) noexcept = default;

async_socket& async_socket::operator=(async_socket&& other) noexcept {
  if (this != &other) {
    if (state_) state_->close();
    state_ = std::move(other.state_);
  }
  return *this;
}

async_socket::~async_socket() {
  if (state_) state_->close();
}

zmq::socket_t& async_socket::socket() noexcept {
  return state_->socket;
}

event_loop& async_socket::loop() const noexcept {
  return state_->loop;
}

void async_socket::connect(const std::string& endpoint) {
  state_->socket.connect(endpoint);
  state_->endpoints.emplace_back(false, endpoint);
}

void async_socket::bind(const std::string& endpoint) {
  state_->socket.bind(endpoint);
  state_->endpoints.emplace_back(true, endpoint);
}

namespace {
using kind = detail::socket_operation::kind;

message one_frame(zmq::message_t frame) {
  message frames;
  frames.push_back(std::move(frame));
  return frames;
}
}  // namespace

async_socket::awaiter<void> async_socket::send(zmq::message_t frame, zmq::send_flags flags) {
  return awaiter<void>(state_, kind::send_message, std::nullopt, one_frame(std::move(frame)),
                       flags == zmq::send_flags::sndmore);
}

async_socket::awaiter<void> async_socket::send(std::string_view text, zmq::send_flags flags) {
  return send(zmq::message_t(text.data(), text.size()), flags);
}

async_socket::awaiter<void> async_socket::send_multipart(message frames) {
  if (frames.empty()) frames.emplace_back();  // libzmq has no message of no frames
  return awaiter<void>(state_, kind::send_message, std::nullopt, std::move(frames));
}

async_socket::awaiter<bool> async_socket::send_multipart(message frames, duration timeout) {
  if (frames.empty()) frames.emplace_back();
  return awaiter<bool>(state_, kind::send_message, timeout, std::move(frames));
}

async_socket::awaiter<zmq::message_t> async_socket::recv() {
  return awaiter<zmq::message_t>(state_, kind::receive_frame);
}

async_socket::awaiter<std::optional<zmq::message_t>> async_socket::recv(duration timeout) {
  return awaiter<std::optional<zmq::message_t>>(state_, kind::receive_frame, timeout);
}

async_socket::awaiter<message> async_socket::recv_multipart() {
  return awaiter<message>(state_, kind::receive_message);
}

async_socket::awaiter<std::optional<message>> async_socket::recv_multipart(duration timeout) {
  return awaiter<std::optional<message>>(state_, kind::receive_message, timeout);
}

void async_socket::start_receive(done_function done) {
  detail::callback_operation::start(state_, kind::receive_message, {}, std::move(done));
}

void async_socket::start_send(message frames, done_function done) {
  if (frames.empty()) frames.emplace_back();
  detail::callback_operation::start(state_, kind::send_message, std::move(frames), std::move(done));
}

std::error_code async_socket::make_zmq_error_code(int error) noexcept {
  if (error == ECANCELED) return {error, std::generic_category()};
  return {error, core::zmq_category()};
}

void async_socket::reset() {
  auto& s = *state_;
  if (s.lifetime->ended()) {  // refused before anything changes: the socket stays as it was
    throw zmqsec::error(std::error_code(ECANCELED, std::generic_category()),
                        "async_socket: reset: its loop was destroyed");
  }
  detail::socket_settings settings;
  detail::read_settings(s.socket, settings);
  std::string last;
  if (s.endpoints.empty()) last = s.socket.get(zmq::sockopt::last_endpoint);
  zmq::socket_t fresh = detail::make_socket_like(settings);
  s.close();  // cancels the waiting operations (ECANCELED)
  for (const auto& [bound, endpoint] : s.endpoints) {
    if (bound) {
      fresh.bind(endpoint);
    } else {
      fresh.connect(endpoint);
    }
  }
  if (s.endpoints.empty() && !last.empty()) fresh.connect(last);
  s.socket = std::move(fresh);
  s.open();
}

}  // namespace zmqsec::loop
