#include <zmqsec/auth/thread_authenticator.hpp>

#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <future>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "thread_handler.hpp"
#include "zap_io.hpp"

namespace zmqsec::auth {

namespace detail {

class thread_authenticator_impl {
 public:
  thread_authenticator_impl(zmq::context_t& context, policy_config config,
                            std::shared_ptr<spdlog::logger> logger)
      : context_(context.handle()),
        stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        publisher_(std::move(config), std::move(logger)) {
    if (stop_fd_ < 0) throw zmqsec::error::from_errno(errno, "thread_authenticator: eventfd");
    if (context_ == nullptr) {
      ::close(stop_fd_);
      throw zmqsec::error(errc::invalid_argument, "thread_authenticator: the context is closed");
    }
  }

  thread_authenticator_impl(const thread_authenticator_impl&) = delete;
  thread_authenticator_impl& operator=(const thread_authenticator_impl&) = delete;

  ~thread_authenticator_impl() {
    stop();
    ::close(stop_fd_);
  }

  // --- The handler ------------------------------------------------------------------------------

  void start() {
    std::lock_guard lock(lifecycle_mutex_);
    if (thread_.joinable()) {
      if (alive_.load()) return;
      thread_.join();  // it ended by itself (the context was terminated)
    }
    if (context_terminated_.load()) {
      throw zmqsec::error(std::error_code(ETERM, std::generic_category()),
                          "thread_authenticator: cannot start: the context is terminated");
    }
    std::uint64_t ignored = 0;
    while (::read(stop_fd_, &ignored, sizeof ignored) > 0) {
    }
    stop_flag_.store(false);

    std::promise<void> bound;
    std::future<void> ready = bound.get_future();
    alive_.store(true);
    try {
      thread_ = std::thread([this, bound = std::move(bound)]() mutable { run(bound); });
    } catch (...) {
      alive_.store(false);
      throw;
    }
    try {
      ready.get();
    } catch (...) {
      thread_.join();
      alive_.store(false);
      throw;
    }
    publisher_.log_info("ZAP handler bound at " + std::string(zap_endpoint));
  }

  void stop() noexcept {
    if (std::this_thread::get_id() == handler_id_.load()) {
      // From a callback on the handler's own thread: it cannot wait for itself. The handler
      // ends after the requests it is deciding; the next start(), stop() or the destructor
      // joins it.
      stop_flag_.store(true);
      std::uint64_t one = 1;
      [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
      return;
    }
    std::lock_guard lock(lifecycle_mutex_);
    if (!thread_.joinable()) return;
    bool was_alive = alive_.load();
    stop_flag_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    if (was_alive) publisher_.log_info("ZAP handler stopped");
  }

  bool is_alive() const noexcept { return alive_.load(); }

  policy_publisher& publisher() noexcept { return publisher_; }

  thread_authenticator_stats stats() const noexcept { return counters_.snapshot(publisher_); }

 private:
  void run(std::promise<void>& bound) noexcept {
    handler_id_.store(std::this_thread::get_id());
    struct forget_id {
      std::atomic<std::thread::id>& id;
      ~forget_id() { id.store(std::thread::id()); }
    } forget{handler_id_};
    void* socket = open_zap_socket(context_);
    if (socket == nullptr) {
      const int err = errno;
      if (err == ETERM) context_terminated_.store(true);
      alive_.store(false);
      bound.set_exception(std::make_exception_ptr(zap_socket_error("thread_authenticator", err)));
      return;
    }
    bound.set_value();

    handler_end end = run_zap_handler(socket, stop_fd_, stop_flag_, publisher_.source(), counters_);
    int err = errno;
    // Not alive from here on, and said so before the socket closes: closing it is what lets a
    // terminating context return, and whoever waited for that must see the handler gone.
    if (end == handler_end::terminated) context_terminated_.store(true);
    alive_.store(false);
    close_zap_socket(socket);
    if (end == handler_end::terminated) {
      publisher_.log_warn("ZAP handler stopped: the context is terminated");
    } else if (end == handler_end::failed) {
      publisher_.log_error(std::string("ZAP handler failed: ") + zmq_strerror(err));
    }
  }

  void* context_;

  // The handler.
  std::mutex lifecycle_mutex_;
  std::thread thread_;
  std::atomic<bool> alive_{false};
  std::atomic<bool> stop_flag_{false};
  std::atomic<bool> context_terminated_{false};
  std::atomic<std::thread::id> handler_id_{};
  int stop_fd_;
  handler_counters counters_;
  policy_publisher publisher_;
};

}  // namespace detail

thread_authenticator::thread_authenticator(zmq::context_t& context,
                                           std::shared_ptr<spdlog::logger> logger)
    : thread_authenticator(context, policy_config{}, std::move(logger)) {}

thread_authenticator::thread_authenticator(zmq::context_t& context, policy_config config,
                                           std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<detail::thread_authenticator_impl>(context, std::move(config),
                                                                std::move(logger))) {}

thread_authenticator::thread_authenticator(thread_authenticator&& other) noexcept = default;
thread_authenticator& thread_authenticator::operator=(thread_authenticator&& other) noexcept =
    default;
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
thread_authenticator_stats thread_authenticator::stats() const noexcept {
  return impl_ ? impl_->stats() : thread_authenticator_stats{};
}
detail::policy_publisher* thread_authenticator::publisher() const noexcept {
  return impl_ ? &impl_->publisher() : nullptr;
}

}  // namespace zmqsec::auth
