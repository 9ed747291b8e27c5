// wakeup_fd: the one way a zmqsec thread is woken from another (an eventfd, for poll and epoll).
//
//   zmqsec::core::wakeup_fd wake;                    // throws zmqsec::error if none can be had
//   pollfd fds[] = {{socket_fd, POLLIN, 0}, {wake.fd(), POLLIN, 0}};
//   ...                                              // another thread: wake.notify();
//   if (fds[1].revents & POLLIN) wake.drain();       // readable until drained
//
// notify() never blocks and never fails (the counter cannot overflow from notifications); any
// number of notifications before a drain() are one wake-up. Internal to zmqsec.
#pragma once

#include <zmqsec/detail/unique_fd.hpp>

namespace zmqsec::core {

class wakeup_fd {
 public:
  /// Creates the eventfd (non-blocking, close-on-exec). Throws zmqsec::error (errno) on failure.
  wakeup_fd();

  /// Makes fd() readable. Any thread, any time; async-signal-safe.
  void notify() noexcept;

  /// Makes fd() unreadable again; returns whether it had been notified since the last drain.
  bool drain() noexcept;

  /// The descriptor to poll for POLLIN (or EPOLLIN). Owned by this object.
  int fd() const noexcept { return fd_.get(); }

 private:
  zmqsec::detail::unique_fd fd_;
};

}  // namespace zmqsec::core
