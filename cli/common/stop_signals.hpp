// The tools that run until Ctrl-C (zmq-logtail, zmq-monitor, zmq-tunnel) take SIGINT and SIGTERM
// as readable input rather than in a handler: blocked in every thread (call this before any
// thread starts, libzmq's included), then read from a signalfd that can be polled beside the
// tool's sockets, so that stopping is an ordinary event of its loop.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

namespace zmqsec::cli {

/// Blocks SIGINT and SIGTERM and returns a non-blocking signalfd for them, or -1 (errno set).
inline int block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return -1;
  return ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
}

}  // namespace zmqsec::cli
