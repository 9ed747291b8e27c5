#include <zmqsec/core/worker.hpp>

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <system_error>
#include <utility>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::core {
namespace detail {

struct worker_state {
  wakeup_fd wake;
  std::atomic<bool> stop{false};
  std::atomic<std::thread::id> thread_id{};

  mutable std::mutex mutex;
  mutable std::condition_variable ended_cv;
  bool running = false;        // guarded by mutex
  std::exception_ptr failure;  // guarded by mutex

  void run(const std::string& name, const worker::body_function& body,
           const worker::error_function& on_error, const stop_view& view) noexcept;
  void report(const std::string& name, const std::exception_ptr& error,
              const worker::error_function& on_error) noexcept;
};

void worker_state::report(const std::string& name, const std::exception_ptr& error,
                          const worker::error_function& on_error) noexcept {
  {
    std::lock_guard lock(mutex);
    failure = error;
  }
  try {
    if (on_error) return on_error(error);
  } catch (...) {
    // The error callback failed too: fall through to stderr so the failure is still seen.
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zmqsec: thread %s ended with an exception: %s\n", name.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "zmqsec: thread %s ended with an unknown exception\n", name.c_str());
  }
}

void worker_state::run(const std::string& name, const worker::body_function& body,
                       const worker::error_function& on_error, const stop_view& view) noexcept {
  thread_id.store(std::this_thread::get_id());
  // The kernel keeps 15 characters of a thread name; longer names are cut, not refused.
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
  try {
    body(view);
  } catch (...) {
    report(name, std::current_exception(), on_error);
  }
  thread_id.store(std::thread::id());
  {
    std::lock_guard lock(mutex);
    running = false;
  }
  ended_cv.notify_all();
}

}  // namespace detail

bool stop_view::requested() const noexcept {
  return state_->stop.load(std::memory_order_acquire);
}

int stop_view::fd() const noexcept {
  return state_->wake.fd();
}

worker::worker() : state_(std::make_shared<detail::worker_state>()) {}

worker::~worker() {
  request_stop();
  std::lock_guard lock(lifecycle_);
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // destroyed by its own body: the thread ends on its own, holding state_
  } else {
    thread_.join();
  }
}

void worker::start(std::string name, body_function body, error_function on_error) {
  std::lock_guard lock(lifecycle_);
  if (thread_.joinable()) {
    if (running()) throw zmqsec::error(errc::invalid_argument, name + ": already running");
    thread_.join();  // it ended by itself; collect it before starting anew
  }
  state_->stop.store(false, std::memory_order_release);
  state_->wake.drain();
  {
    std::lock_guard state_lock(state_->mutex);
    state_->running = true;
    state_->failure = nullptr;
  }
  try {
    thread_ = std::thread(
        [state = state_, name = std::move(name), body = std::move(body),
         on_error = std::move(on_error)] { state->run(name, body, on_error, stop_view(state)); });
  } catch (const std::system_error& e) {
    std::lock_guard state_lock(state_->mutex);
    state_->running = false;
    throw zmqsec::error(e.code(), std::string("cannot start a thread: ") + e.what());
  }
}

void worker::request_stop() noexcept {
  state_->stop.store(true, std::memory_order_release);
  state_->wake.notify();
}

void worker::stop() noexcept {
  request_stop();
  if (on_worker_thread()) return;  // it cannot wait for itself; joined later (see the header)
  std::lock_guard lock(lifecycle_);
  // Asked again under the lock: a start() that took it first cleared the request above, and the
  // body it started must hear it too, or the join below waits for good.
  request_stop();
  if (thread_.joinable()) thread_.join();
}

bool worker::running() const noexcept {
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

bool worker::wait_ended(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->ended_cv.wait_for(lock, timeout, [this] { return !state_->running; });
}

bool worker::on_worker_thread() const noexcept {
  return state_->thread_id.load() == std::this_thread::get_id();
}

int worker::stop_fd() const noexcept {
  return state_->wake.fd();
}

std::exception_ptr worker::failure() const {
  std::lock_guard lock(state_->mutex);
  return state_->failure;
}

}  // namespace zmqsec::core
