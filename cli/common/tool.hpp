// The skeleton of the tools that run until stopped (zmq-logtail, zmq-monitor, zmq-tunnel): one
// way to report an error, to turn what escapes into an exit status, and to wait for work or a
// stop signal. Each tool keeps its own exit codes (documented in its --help) in its tool value.
//
//   constexpr zmqsec::cli::tool zmq_monitor{"zmq-monitor", 0, 1, 2};
//   int main(int argc, char** argv) {
//     ...parse...
//     return zmqsec::cli::run_until_stopped(zmq_monitor, [&](int stop_fd) {
//       return zmqsec::cli::poll_until_stopped(zmq_monitor, stop_fd, socket.handle(), -1, [&] {
//         ...read what is waiting; return an exit status to end, or nullopt to wait again...
//       });
//     });
//   }
//
// Signals: SIGINT and SIGTERM are blocked before the body runs (before any thread starts,
// libzmq's included) and read from a signalfd the loop polls (see stop_signals.hpp), so a stop
// is an ordinary event of the loop and the tool exits with its output flushed.
#pragma once

#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/core/text.hpp>
#include <zmqsec/error.hpp>

#include "shorten.hpp"
#include "stop_signals.hpp"

namespace zmqsec::cli {

/// A tool's name and its exit statuses.
struct tool {
  const char* name;  ///< "zmq-monitor", the prefix of every error line
  int success;       ///< stopped by a signal, or done
  int bad_input;     ///< bad usage, endpoint, key, certificate, ...
  int failure;       ///< what failed while running (sockets, the output, SSH)

  /// "name: message" on stderr, the message made printable (it may quote network input) and
  /// shortened (it may quote a huge argument).
  void report(std::string_view message) const {
    std::cerr << name << ": " << core::printable(shortened(message)) << '\n';
  }
};

/// The status for a zmqsec::error that escaped the body: by default bad input (errors raised
/// while setting up from the command line), a tool may decide otherwise from the code.
using error_status = std::function<int(const zmqsec::error&)>;

/// Blocks the stop signals, runs body with the signalfd to poll, and returns its status; an
/// exception that escapes is reported and becomes an exit status (zmqsec::error: classify or
/// bad_input; anything else: failure).
inline int run_until_stopped(const tool& t, const std::function<int(int stop_fd)>& body,
                             const error_status& classify = {}) {
  const int stop_fd = block_stop_signals();
  if (stop_fd < 0) {
    t.report(std::string("cannot watch for signals: ") + std::strerror(errno));
    return t.failure;
  }
  struct fd_closer {
    int fd;
    ~fd_closer() { ::close(fd); }
  } closer{stop_fd};
  try {
    return body(stop_fd);
  } catch (const zmqsec::error& e) {
    t.report(e.what());
    return classify ? classify(e) : t.bad_input;
  } catch (const std::bad_alloc&) {
    t.report("out of memory");
    return t.failure;
  } catch (const std::exception& e) {
    t.report(e.what());
    return t.failure;
  }
}

/// The tool's loop: runs step() (read what is waiting, print it), flushes standard output, then
/// waits until work (a readable socket of works, or wait_ms passing: -1 waits for the sockets
/// alone) or a stop signal. Returns step()'s status once it gives one, success on a stop signal,
/// failure when the output or the poll fails. works may be empty (a tool without a socket:
/// wait_ms then says how often step() runs).
inline int poll_until_stopped(const tool& t, int stop_fd, std::initializer_list<void*> works,
                              long wait_ms, const std::function<std::optional<int>()>& step) {
  std::vector<zmq_pollitem_t> items{{nullptr, stop_fd, ZMQ_POLLIN, 0}};
  for (void* work : works) items.push_back({work, 0, ZMQ_POLLIN, 0});
  for (;;) {
    if (const auto status = step()) {
      std::cout.flush();
      return *status;
    }
    if (!std::cout.flush()) {
      t.report("cannot write to standard output");
      return t.failure;
    }
    if (zmq_poll(items.data(), static_cast<int>(items.size()), wait_ms) < 0 &&
        zmq_errno() != EINTR) {
      t.report(std::string("poll failed: ") + zmq_strerror(zmq_errno()));
      return t.failure;
    }
    if ((items[0].revents & ZMQ_POLLIN) != 0) return t.success;
  }
}

/// The same with one socket, or none (work null).
inline int poll_until_stopped(const tool& t, int stop_fd, void* work, long wait_ms,
                              const std::function<std::optional<int>()>& step) {
  if (work == nullptr) return poll_until_stopped(t, stop_fd, {}, wait_ms, step);
  return poll_until_stopped(t, stop_fd, {work}, wait_ms, step);
}

/// Whether a stop signal is waiting on stop_fd (for a tool between long steps).
inline bool stop_signalled(int stop_fd) {
  zmq_pollitem_t item{nullptr, stop_fd, ZMQ_POLLIN, 0};
  return zmq_poll(&item, 1, 0) > 0 && (item.revents & ZMQ_POLLIN) != 0;
}

}  // namespace zmqsec::cli
