// The running gateway: the authenticator with the policy file, the device between the clients
// and the service, the log and the metrics, and the loop that waits for a stop or a reload.
#pragma once

#include "options.hpp"

namespace zmqsec::gateway_tool {

/// Sets everything up (a zmqsec::error escapes for bad input: certificate, policy, endpoint),
/// then serves until stop_fd (SIGINT, SIGTERM) is readable. reload_fd (SIGHUP) reloads the
/// policy. Returns exit_success on a stop, exit_failure when the device or the authenticator
/// fails.
int serve(const options& opts, int stop_fd, int reload_fd);

}  // namespace zmqsec::gateway_tool
