#include <zmqsec/loop/stream.hpp>

#include <zmq.h>

#include <cerrno>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/loop/socket_watch.hpp>

namespace zmqsec::loop {

const std::error_category& zmq_category() noexcept {
  return core::zmq_category();
}

namespace detail {

class stream_impl : public std::enable_shared_from_this<stream_impl> {
 public:
  stream_impl(event_loop& loop, zmq::socket_t socket) : loop_(loop), socket_(std::move(socket)) {
    if (!socket_) throw zmqsec::error(errc::invalid_argument, "stream: the socket is closed");
  }

  void start() {
    watch_.emplace(loop_, socket_.handle(), 0, [weak = weak_from_this()](short events, int error) {
      if (auto self = weak.lock()) self->turn(events, error);
    });
  }

  zmq::socket_t& socket() { return socket_; }
  event_loop& loop() const noexcept { return loop_; }
  bool closed() const noexcept { return closed_; }
  bool receiving() const noexcept { return recv_cb_ != nullptr; }
  std::size_t queued() const noexcept { return queue_.size(); }

  void on_recv(std::function<void(message&)> callback) {
    recv_cb_ =
        callback ? std::make_shared<std::function<void(message&)>>(std::move(callback)) : nullptr;
    update_interest();
  }
  void set_filter(std::function<bool(const message&)> keep) {
    filter_ =
        keep ? std::make_shared<std::function<bool(const message&)>>(std::move(keep)) : nullptr;
  }
  void on_send(std::function<void(std::size_t)> callback) {
    send_cb_ = callback ? std::make_shared<std::function<void(std::size_t)>>(std::move(callback))
                        : nullptr;
  }
  void on_error(std::function<void(std::error_code)> callback) {
    error_cb_ = callback
                    ? std::make_shared<std::function<void(std::error_code)>>(std::move(callback))
                    : nullptr;
  }
  void set_batch(std::size_t messages) { batch_ = messages == 0 ? 1 : messages; }

  void send(message frames) {
    if (closed_ || frames.empty()) return;
    queue_.push_back(outgoing{std::move(frames), 0});
    // With an on_send callback every message goes through the queue, so that the callback
    // always comes from the loop and never from inside send().
    std::shared_ptr<stream_impl> self;  // on_error may destroy the stream while it sends
    // A send may take the fd's signal (libzmq processes commands when sending).
    then_look_again([&] {
      if (queue_.size() != 1 || send_cb_) return;
      self = shared_from_this();
      send_head();
    });
  }

  std::size_t flush(io_events events, std::size_t limit) {
    auto self = shared_from_this();
    std::size_t handled = 0;
    then_look_again([&] { handled = flush_some(events, limit); });
    return handled;
  }

  std::size_t flush_some(io_events events, std::size_t limit) {
    std::size_t handled = 0;
    while (handled < limit && !closed_) {
      std::size_t step = 0;
      if (any(events & io_events::readable)) step += receive_some(1);
      if (!closed_ && any(events & io_events::writable) && handled + step < limit) {
        step += send_some(1);
      }
      if (step == 0) break;
      handled += step;
    }
    return handled;
  }

  // Runs fn, which sends or receives outside the watch's callback, then has ZMQ_EVENTS read
  // again from the loop (socket_watch::check()). Also when fn throws (a user's callback did):
  // its sends and receives took the fd's signal all the same, and the socket must not go deaf.
  template <class F>
  void then_look_again(F fn) {
    try {
      fn();
    } catch (...) {
      look_again();
      throw;
    }
    look_again();
  }

  void look_again() {
    if (closed_) return;
    watch_->check();
    update_interest();
  }

  void close(std::function<void(std::size_t)> on_close) {
    if (closed_) return;
    closed_ = true;
    const std::size_t dropped = queue_.size();
    queue_.clear();
    // The watch first: the fd belongs to the socket.
    watch_.reset();
    socket_.close();
    recv_cb_.reset();
    send_cb_.reset();
    error_cb_.reset();
    if (on_close) loop_.post([on_close = std::move(on_close), dropped] { on_close(dropped); });
  }

 private:
  struct outgoing {
    message frames;
    std::size_t next = 0;  // frames already handed to libzmq
  };

  // One turn on the loop: receive a batch, send a batch; the watch reads ZMQ_EVENTS afterwards.
  void turn(short events, int error) {
    auto self = shared_from_this();  // a callback may destroy the stream
    if (error != 0) {
      fail(error);
      return;
    }
    if ((events & ZMQ_POLLIN) != 0) receive_some(batch_);
    if (!closed_ && (events & ZMQ_POLLOUT) != 0) send_some(batch_);
    if (!closed_) update_interest();
  }

  std::size_t receive_some(std::size_t limit) {
    std::size_t received = 0;
    auto callback = recv_cb_;  // held for the batch: survives on_recv() from inside
    while (received < limit && recv_cb_ && !closed_) {
      const int got = receive_one();
      if (got == 0) break;
      if (got < 0) {
        fail(errno);
        break;
      }
      ++received;
      if (auto keep = filter_; keep && !(*keep)(incoming_)) continue;  // dropped
      if (callback != recv_cb_) callback = recv_cb_;
      (*callback)(incoming_);
      if (!closed_) incoming_.clear();
    }
    return received;
  }

  // 1: a whole message in incoming_; 0: none waiting; -1: failed (errno).
  int receive_one() {
    incoming_.clear();
    for (;;) {
      zmq::message_t& frame = incoming_.emplace_back();
      if (zmq_msg_recv(frame.handle(), socket_.handle(), ZMQ_DONTWAIT) < 0) {
        const int err = errno;
        incoming_.pop_back();
        if (err == EINTR) continue;
        if (err == EAGAIN && incoming_.empty()) return 0;
        errno = err;  // EAGAIN inside a message cannot happen: its frames arrive together
        return -1;
      }
      if (zmq_msg_more(frame.handle()) == 0) return 1;
    }
  }

  std::size_t send_some(std::size_t limit) {
    std::size_t sent = 0;
    while (sent < limit && !queue_.empty() && !closed_) {
      const int result = send_head();
      if (result == 0) break;
      if (result < 0) continue;  // dropped and reported
      ++sent;
      if (auto callback = send_cb_) (*callback)(queue_.size());
    }
    return sent;
  }

  // Sends the first queued message. 1: sent; 0: the socket cannot take it now; -1: dropped.
  int send_head() {
    outgoing& head = queue_.front();
    while (head.next < head.frames.size()) {
      const bool last = head.next + 1 == head.frames.size();
      zmq::message_t& frame = head.frames[head.next];
      if (zmq_msg_send(frame.handle(), socket_.handle(), ZMQ_DONTWAIT | (last ? 0 : ZMQ_SNDMORE)) <
          0) {
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EFSM) return 0;  // its turn comes when the socket is writable
        queue_.pop_front();
        fail(err);
        return -1;
      }
      ++head.next;
    }
    queue_.pop_front();
    return 1;
  }

  void update_interest() {
    if (closed_) return;
    const short want =
        static_cast<short>((recv_cb_ ? ZMQ_POLLIN : 0) | (queue_.empty() ? 0 : ZMQ_POLLOUT));
    watch_->set_interest(want);
  }

  void fail(int err) {
    if (auto callback = error_cb_) (*callback)(std::error_code(err, zmq_category()));
    if (err == ETERM && !closed_) close({});
  }

  event_loop& loop_;
  zmq::socket_t socket_;
  std::optional<socket_watch> watch_;
  std::shared_ptr<std::function<void(message&)>> recv_cb_;
  std::shared_ptr<std::function<bool(const message&)>> filter_;  // see stream::set_filter
  std::shared_ptr<std::function<void(std::size_t)>> send_cb_;
  std::shared_ptr<std::function<void(std::error_code)>> error_cb_;
  message incoming_;
  std::deque<outgoing> queue_;
  std::size_t batch_ = stream::default_batch;
  bool closed_ = false;
};

}  // namespace detail

namespace {
detail::stream_impl& checked(const std::shared_ptr<detail::stream_impl>& impl) {
  if (!impl) throw zmqsec::error(errc::invalid_argument, "stream: used after being moved from");
  return *impl;
}
}  // namespace

stream::stream(event_loop& loop, zmq::socket_t socket)
    : impl_(std::make_shared<detail::stream_impl>(loop, std::move(socket))) {
  impl_->start();
}
stream::stream(stream&&) noexcept = default;
stream& stream::operator=(stream&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close({});
    impl_ = std::move(other.impl_);
  }
  return *this;
}
stream::~stream() {
  if (impl_) impl_->close({});
}

zmq::socket_t& stream::socket() {
  return checked(impl_).socket();
}
void stream::on_recv(std::function<void(message&)> callback) {
  checked(impl_).on_recv(std::move(callback));
}
void stream::set_filter(std::function<bool(const message&)> keep) {
  checked(impl_).set_filter(std::move(keep));
}
void stream::stop_on_recv() {
  checked(impl_).on_recv(nullptr);
}
bool stream::receiving() const noexcept {
  return impl_ && impl_->receiving();
}
void stream::on_send(std::function<void(std::size_t)> callback) {
  checked(impl_).on_send(std::move(callback));
}
void stream::on_error(std::function<void(std::error_code)> callback) {
  checked(impl_).on_error(std::move(callback));
}
void stream::send(zmq::message_t frame) {
  message frames;
  frames.push_back(std::move(frame));
  checked(impl_).send(std::move(frames));
}
void stream::send(std::string_view frame) {
  send(zmq::message_t(frame.data(), frame.size()));
}
void stream::send_multipart(message frames) {
  checked(impl_).send(std::move(frames));
}
std::size_t stream::queued() const noexcept {
  return impl_ ? impl_->queued() : 0;
}
std::size_t stream::flush(io_events events, std::size_t limit) {
  return checked(impl_).flush(events, limit);
}
void stream::set_batch(std::size_t messages) {
  checked(impl_).set_batch(messages);
}
void stream::close(std::function<void(std::size_t)> on_close) {
  checked(impl_).close(std::move(on_close));
}
bool stream::closed() const noexcept {
  return !impl_ || impl_->closed();
}
event_loop& stream::loop() const noexcept {
  return impl_->loop();
}

}  // namespace zmqsec::loop
