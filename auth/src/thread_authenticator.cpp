// thread_authenticator: the ZAP server step driven from a poll loop on a core::worker thread.
#include <zmqsec/auth/thread_authenticator.hpp>

#include <poll.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <utility>

#include <zmqsec/core/worker.hpp>
#include <zmqsec/core/zmq_error.hpp>

#include "authenticator_core.hpp"
#include "zap_server.hpp"

namespace zmqsec::auth {

namespace detail {

class thread_authenticator_impl {
 public:
  thread_authenticator_impl(zmq::context_t& context, std::shared_ptr<authenticator_core> core)
      : context_(context.handle()),
        core_(std::move(core)),
        server_(core_->publisher.source(), core_->counters, nullptr, &core_->sessions) {
    if (context_ == nullptr) {
      throw zmqsec::error(errc::invalid_argument, "thread_authenticator: the context is closed");
    }
    core_->context = context_;
  }
  thread_authenticator_impl(const thread_authenticator_impl&) = delete;
  thread_authenticator_impl& operator=(const thread_authenticator_impl&) = delete;
  ~thread_authenticator_impl() { stop(); }

  void start() {
    std::lock_guard lock(lifecycle_);
    const bool ending = stop_asked_.load();
    if (alive_.load() && !ending) return;
    // A handler asked to stop from its own thread may still be deciding: it is started anew once
    // that one ended, not taken for running (it is about to end).
    if (ending && alive_.load()) {
      core_->publisher.log().log(spdlog::level::debug,
                                 "ZAP handler: start() waits for the handler stopped by a "
                                 "callback to end");
    }
    // Joins a handler that ended by itself (the context was terminated) or is ending.
    worker_.stop();
    stop_asked_.store(false);
    if (context_terminated_.load()) {
      throw core::zmq_error(ETERM, "thread_authenticator: cannot start: the context is terminated");
    }
    open_socket();
    alive_.store(true);
    try {
      worker_.start("zmqsec-zap", [this](const core::stop_view& stop) { serve(stop); });
    } catch (...) {
      alive_.store(false);
      server_.close();
      throw;
    }
    core_->publisher.log().info("ZAP handler bound at " + std::string(zap_endpoint));
  }

  void stop() noexcept {
    if (worker_.on_worker_thread()) {
      // From a callback on the handler's own thread: it cannot wait for itself. The handler
      // ends after the requests it is deciding; the next start(), stop() or the destructor
      // joins it.
      stop_asked_.store(true);
      worker_.request_stop();
      return;
    }
    std::lock_guard lock(lifecycle_);
    const bool was_alive = alive_.load();
    worker_.stop();
    if (was_alive) core_->publisher.log().info("ZAP handler stopped");
  }

  bool is_alive() const noexcept { return alive_.load(); }

 private:
  // Bound on the caller's thread, so that start() throws what binding throws; the worker takes
  // the socket over (starting a thread is a full barrier, which is what libzmq asks of a socket
  // that changes threads).
  void open_socket() {
    try {
      server_.open(context_, "thread_authenticator");
    } catch (const std::system_error& e) {
      if (core::is_zmq_error(e, ETERM)) context_terminated_.store(true);
      throw;
    }
  }

  void serve(const core::stop_view& stop) noexcept {
    int err = 0;
    const zap_step end = poll_loop(stop, err);
    // Not alive from here on, and said so before the socket closes: closing it is what lets a
    // terminating context return, and whoever waited for that must see the handler gone.
    if (end == zap_step::terminated) context_terminated_.store(true);
    alive_.store(false);
    server_.close();
    log_server_end(core_->publisher.log(), end, err);
  }

  // Steps the server until stop is requested (closed) or the server ends (err: the errno).
  // The socket's own signalling fd is polled directly (one poll(2) per sleep, no zmq_poll first
  // pass): it is safe to wait on it only right after a receive said EAGAIN (step() said idle),
  // because that receive has processed every pending command (a send may process commands too,
  // and could leave a message ready without the fd saying so). After sending replies the loop
  // always steps again first.
  zap_step poll_loop(const core::stop_view& stop, int& err) noexcept {
    int zmq_fd = -1;
    std::size_t zmq_fd_size = sizeof zmq_fd;
    while (zmq_getsockopt(server_.socket(), ZMQ_FD, &zmq_fd, &zmq_fd_size) != 0) {
      if (errno == EINTR) continue;
      err = errno;
      return err == ETERM ? zap_step::terminated : zap_step::failed;
    }
    pollfd fds[2] = {{zmq_fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    zap_step last = zap_step::served;
    for (;;) {
      if (stop.requested()) return zap_step::closed;
      if (last == zap_step::idle) {
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          err = errno;
          return zap_step::failed;
        }
        if ((fds[1].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) != 0)
          return zap_step::closed;
        if ((fds[0].revents & POLLNVAL) != 0) {
          err = EBADF;
          return zap_step::failed;
        }
      }
      last = server_.step();
      if (last != zap_step::served && last != zap_step::idle) {
        err = errno;
        return last;
      }
    }
  }

  void* context_;
  std::shared_ptr<authenticator_core> core_;
  std::mutex lifecycle_;  // serialises start() and stop() from threads other than the handler's
  std::atomic<bool> alive_{false};
  std::atomic<bool> context_terminated_{false};
  std::atomic<bool> stop_asked_{false};  // by a callback on the handler's thread, not joined yet
  zap_server server_;                    // the worker's while it runs
  core::worker worker_;                  // last: stopped and joined before the rest goes
};

}  // namespace detail

thread_authenticator::thread_authenticator(zmq::context_t& context,
                                           std::shared_ptr<spdlog::logger> logger)
    : thread_authenticator(context, policy_config{}, std::move(logger)) {}

thread_authenticator::thread_authenticator(zmq::context_t& context, policy_config config,
                                           std::shared_ptr<spdlog::logger> logger)
    : authenticator(std::move(config), std::move(logger), answers_later::no),
      impl_(std::make_unique<detail::thread_authenticator_impl>(context, core())) {}

thread_authenticator::thread_authenticator(thread_authenticator&& other) noexcept = default;

thread_authenticator& thread_authenticator::operator=(thread_authenticator&&) noexcept = default;

thread_authenticator::~thread_authenticator() = default;

void thread_authenticator::start() {
  if (!impl_) {
    throw zmqsec::error(errc::invalid_argument,
                        "thread_authenticator: used after being moved from");
  }
  impl_->start();
}
void thread_authenticator::stop() noexcept {
  if (impl_) impl_->stop();
}
bool thread_authenticator::is_alive() const noexcept {
  return impl_ && impl_->is_alive();
}

}  // namespace zmqsec::auth
