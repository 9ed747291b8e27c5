// zmq-gateway: CURVE and a policy file in front of a service that speaks plain ZeroMQ, without
// changing the service (a zmqsec::proxy::device whose front is a CURVE server decided by the
// authenticator, whose back connects to the service).
//
//   zmq-gateway --front 'tcp://*:5555' --back tcp://127.0.0.1:6000 --pattern req-rep
//               --cert gateway.key_secret --policy /etc/zmq-gateway/policy.toml
//
// SIGINT and SIGTERM stop it (exit 0); SIGHUP reloads the policy file with everything it names.
// All three are blocked before any thread starts and read from signalfds (cli/common/tool.hpp).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/tool.hpp"
#include "zmq_gateway/gateway.hpp"
#include "zmq_gateway/options.hpp"

namespace {

/// Blocks SIGHUP and returns a non-blocking signalfd for it, or -1 (errno set).
int block_reload_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return -1;
  return ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace zmqsec::gateway_tool;
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  const int reload_fd = block_reload_signal();
  if (reload_fd < 0) {
    this_tool.report(std::string("cannot watch for SIGHUP: ") + std::strerror(errno));
    return exit_failure;
  }
  const int status = zmqsec::cli::run_until_stopped(
      this_tool, [&](int stop_fd) { return serve(opts, stop_fd, reload_fd); });
  ::close(reload_fd);
  return status;
}
