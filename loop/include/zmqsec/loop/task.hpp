// task<T>: a C++20 coroutine that reads like blocking code, and spawn(), which runs one on an
// event_loop. The coroutine side of zmqsec::loop (async_socket, poll and sleep_for await in it).
//
//   zl::task<int> answer() { co_return 42; }
//   zl::task<> main_task(zl::async_socket& s) {
//     int n = co_await answer();              // an exception thrown inside reaches this co_await
//     co_await s.send(std::to_string(n));
//   }
//   zl::spawn(loop, [&]() -> zl::task<> { co_await main_task(sock); });
//   loop.run();
//
// A task is lazy: it starts when awaited (or spawned) and resumes its awaiter when it ends
// (symmetric transfer, so long chains of awaits use no stack). Destroying a task that has not
// finished destroys its coroutine, which cancels what it awaits (see async_socket).
// spawn() owns the task (and the callable that made it) until it ends or the loop is destroyed
// (the frame is destroyed then, unresumed: see loop_lifetime.hpp), starts it from the loop
// (post), and hands an exception that escapes it to on_error; without one it is reported on
// stderr (unless it is a cancellation: its socket was closed) and the loop goes on. Never
// std::terminate().
#pragma once

#include <concepts>
#include <coroutine>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include <zmqsec/loop/event_loop.hpp>

namespace zmqsec::loop {

template <class T = void>
class task;

namespace detail {

// What every task's promise shares: the awaiter to resume at the end, and the exception.
struct task_promise_base {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
      return done.promise().continuation;  // symmetric transfer: the awaiter goes on
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
  void rethrow_if_failed() const {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct task_promise : task_promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  requires std::convertible_to<U&&, T>
  void return_value(U&& result) { value.emplace(std::forward<U>(result)); }
  T take() {
    rethrow_if_failed();
    return std::move(*value);
  }
};

template <>
struct task_promise<void> : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const { rethrow_if_failed(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : coroutine_(h) {}
  task(task&& other) noexcept : coroutine_(std::exchange(other.coroutine_, nullptr)) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      destroy();
      coroutine_ = std::exchange(other.coroutine_, nullptr);
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  /// Destroys the coroutine if it has not finished: what it awaits is cancelled.
  ~task() { destroy(); }

  /// Whether the coroutine ran to its end.
  bool done() const noexcept { return !coroutine_ || coroutine_.done(); }

  // Awaiting a task starts it; the awaiter resumes when it ends, with its value or exception.
  bool await_ready() const noexcept { return done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    coroutine_.promise().continuation = awaiter;
    return coroutine_;
  }
  T await_resume() { return coroutine_.promise().take(); }

 private:
  void destroy() noexcept {
    if (coroutine_) std::exchange(coroutine_, nullptr).destroy();
  }
  std::coroutine_handle<promise_type> coroutine_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// A coroutine nobody awaits: it starts when resumed and frees itself when it ends, or when its
// loop ends first (its frame is destroyed then, which cancels what it awaits).
struct detached {
  struct promise_type final : loop_resident {
    promise_type() = default;
    promise_type(const promise_type&) = delete;
    promise_type& operator=(const promise_type&) = delete;
    ~promise_type() {
      if (lifetime) lifetime->leave(*this);
    }
    detached get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    // run_spawned catches everything; nothing can escape to here.
    void unhandled_exception() const noexcept { std::terminate(); }
    void loop_ending() noexcept override {
      std::coroutine_handle<promise_type>::from_promise(*this).destroy();
    }
    std::shared_ptr<loop_lifetime> lifetime;
  };
  std::coroutine_handle<promise_type> coroutine;
};

inline void report_spawned_failure(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    // A task whose socket was closed under it was cancelled, which is not a failure to report.
    if (e.code() == std::errc::operation_canceled) return;
    std::fprintf(stderr, "zmqsec::loop: a spawned task ended with an exception: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zmqsec::loop: a spawned task ended with an exception: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "zmqsec::loop: a spawned task ended with an unknown exception\n");
  }
}

// Holds the callable (its captures must live as long as the task it made) and the task.
template <class Make>
detached run_spawned(Make make, std::function<void(std::exception_ptr)> on_error) {
  try {
    co_await make();
  } catch (...) {
    auto error = std::current_exception();
    try {
      if (on_error) {
        on_error(error);
      } else {
        report_spawned_failure(error);
      }
    } catch (...) {
      report_spawned_failure(std::current_exception());
    }
  }
}

}  // namespace detail

/// Handles an exception that escaped a spawned task (on the loop's thread).
using spawn_error_handler = std::function<void(std::exception_ptr)>;

/// Runs the task that make() returns on loop: make is called, and the task started, from a task
/// posted to the loop; both are kept until the task ends. Any thread (post() is).
template <class Make>
requires std::invocable<Make&>
void spawn(event_loop& loop, Make&& make, spawn_error_handler on_error = {}) {
  auto coroutine =
      detail::run_spawned(std::decay_t<Make>(std::forward<Make>(make)), std::move(on_error))
          .coroutine;
  auto& promise = coroutine.promise();
  promise.lifetime = loop.lifetime();
  promise.lifetime->enter(promise, detail::resident_kind::frame);
  // The start may run after the loop ended (an io_context outlives its asio_loop): the frame is
  // gone then.
  loop.post([coroutine, lifetime = promise.lifetime] {
    if (!lifetime->ended()) coroutine.resume();
  });
}

/// Runs a task made already (its coroutine must not refer to a temporary that is gone by then).
template <class T>
void spawn(event_loop& loop, task<T> t, spawn_error_handler on_error = {}) {
  spawn(
      loop, [t = std::move(t)]() mutable { return std::move(t); }, std::move(on_error));
}

}  // namespace zmqsec::loop
