#include <zmqsec/loop/socket_watch.hpp>

#include <zmq.h>

#include <cerrno>
#include <utility>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::loop {

struct socket_watch::state : std::enable_shared_from_this<state> {
  event_loop& loop;
  void* socket;
  short interest;
  callback on_ready;
  handle fd_watch;
  bool check_posted = false;
  bool in_callback = false;
  bool cancelled = false;

  state(event_loop& l, void* s, short i, callback cb)
      : loop(l), socket(s), interest(i), on_ready(std::move(cb)) {}

  void start() {
    int fd = -1;
    std::size_t size = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &size) != 0) {
      core::throw_zmq_error("socket_watch: cannot read ZMQ_FD");
    }
    std::weak_ptr<state> weak = weak_from_this();
    fd_watch = loop.watch_fd(fd, io_events::readable, [weak](io_events) {
      if (auto self = weak.lock()) self->dispatch();
    });
    // The fd may have signalled before it was watched (and an edge-triggered loop would not
    // report it): look once.
    post_check();
  }

  void post_check() {
    if (check_posted || cancelled) return;
    check_posted = true;
    loop.post([weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      self->check_posted = false;
      self->dispatch();
    });
  }

  // One callback at most per call: after it, ZMQ_EVENTS again, and a posted turn if needed.
  void dispatch() {
    if (cancelled || in_callback) return;
    auto self = shared_from_this();  // the callback may destroy the socket_watch
    int error = 0;
    short ready = ready_events(error);
    if (ready == 0 && error == 0) return;
    in_callback = true;
    try {
      on_ready(ready, error);
    } catch (...) {
      // The exception leaves the loop's run(), but what the callback sent and received before
      // it threw took the fd's signal all the same: without the look below the socket goes deaf.
      after_callback(error);
      throw;
    }
    after_callback(error);
  }

  void after_callback(int error) {
    in_callback = false;
    if (cancelled) return;
    if (error != 0) {
      cancel();
      return;
    }
    // Read again after the callback's sends and receives; this read is the last libzmq call
    // before the loop waits on the fd, so an edge consumed by the callback is not lost.
    const short ready = ready_events(error);
    if (ready != 0 || error != 0) post_check();
  }

  // Always asks libzmq, whatever the interest: the asking is what clears the fd's signal.
  short ready_events(int& error) {
    int events = 0;
    std::size_t size = sizeof events;
    while (zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) != 0) {
      if (errno == EINTR) continue;
      error = errno;
      return ZMQ_POLLERR;
    }
    return static_cast<short>(events & interest);
  }

  void cancel() noexcept {
    cancelled = true;
    fd_watch.cancel();
  }
};

socket_watch::socket_watch(event_loop& loop, void* socket, short interest, callback on_ready)
    : state_(std::make_shared<state>(loop, socket, interest, std::move(on_ready))) {
  if (socket == nullptr) throw zmqsec::error(errc::invalid_argument, "socket_watch: no socket");
  state_->start();
}

socket_watch::socket_watch(socket_watch&&) noexcept = default;
socket_watch& socket_watch::operator=(socket_watch&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}
socket_watch::~socket_watch() {
  cancel();
}

void socket_watch::set_interest(short interest) {
  if (!state_ || state_->interest == interest) return;
  const bool more = (interest & ~state_->interest) != 0;
  state_->interest = interest;
  // Newly interesting events may be ready already, with no edge to come.
  if (more && !state_->in_callback) state_->post_check();
}

short socket_watch::interest() const noexcept {
  return state_ ? state_->interest : 0;
}

void socket_watch::check() {
  // Inside the callback the re-read after it covers this.
  if (state_ && !state_->in_callback) state_->post_check();
}

void socket_watch::cancel() noexcept {
  if (state_) state_->cancel();
}

}  // namespace zmqsec::loop
