// worker: one background thread with one start/stop/join contract, for every zmqsec module that
// runs one (the authenticator's ZAP handler, file and folder followers, monitors, tunnels, the
// log proxy). Modelled on spdlog's periodic_worker and CZMQ's zactor: the owner says start and
// stop; the body polls stop.fd() beside its own descriptors and returns once stop.requested().
//
//   zmqsec::core::worker w;
//   w.start("zmqsec-follow", [&](const zmqsec::core::stop_view& stop) {
//     while (!stop.requested()) {
//       pollfd fds[] = {{inotify_fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
//       ::poll(fds, 2, -1);
//       ...
//     }
//   });
//   w.stop();   // any thread; waits for the body unless called from the body itself
//
// The contract:
// - stop() asks the body to end (the flag and the wake-up fd) and waits for it. Called from the
//   worker's own thread (a callback the body runs), it only asks: a thread cannot wait for
//   itself; the next start(), stop() or the destructor on another thread joins it, and a
//   destructor on the worker's own thread lets the thread finish on its own (it holds the state
//   it needs, never the owner).
// - An exception that escapes the body is never lost: it is handed to the on_error callback
//   given to start() (on the worker thread), or written to stderr when there is none, and kept
//   for failure().
// - start() after the body ended (by itself or by stop()) starts it again, with a fresh stop
//   request; start() while it runs is a misuse (zmqsec::error). A stop() racing a start() on
//   another thread ends whichever body is running when it returns.
// - The destructor stops and joins. Nothing here throws from a destructor or from stop().
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace zmqsec::core {

namespace detail {
struct worker_state;
}

/// What the body sees of a stop request; copyable, valid for as long as the body runs.
class stop_view {
 public:
  /// True once stop() or request_stop() was called.
  bool requested() const noexcept;
  /// Readable (POLLIN) once stop was requested; poll it beside the body's own descriptors.
  int fd() const noexcept;

 private:
  friend class worker;
  explicit stop_view(std::shared_ptr<detail::worker_state> state) noexcept
      : state_(std::move(state)) {}
  std::shared_ptr<detail::worker_state> state_;
};

class worker {
 public:
  using body_function = std::function<void(const stop_view& stop)>;
  using error_function = std::function<void(std::exception_ptr error)>;

  worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  /// Stops and joins (see the top for the worker's own thread).
  ~worker();

  /// Runs body on a new thread named name (at most 15 characters are shown by the system).
  /// Throws zmqsec::error if the body is still running or no thread can be created.
  void start(std::string name, body_function body, error_function on_error = {});

  /// Asks the body to end; returns at once. Any thread, any time.
  void request_stop() noexcept;

  /// Asks the body to end and waits for it (see the top for calls from the body itself).
  void stop() noexcept;

  /// Whether the body has been started and has not yet returned.
  bool running() const noexcept;

  /// Waits up to timeout for the body to return; true if it has (or never ran).
  bool wait_ended(std::chrono::milliseconds timeout) const;

  /// Whether the caller is the worker's own thread (a callback the body runs).
  bool on_worker_thread() const noexcept;

  /// The descriptor the body polls (stop_view::fd()), for owners that set up the poll set.
  int stop_fd() const noexcept;

  /// The exception that ended the body the last time, if one did.
  std::exception_ptr failure() const;

 private:
  std::shared_ptr<detail::worker_state> state_;
  mutable std::mutex lifecycle_;  // serialises start() and stop(); never held by the body
  std::thread thread_;
};

}  // namespace zmqsec::core
