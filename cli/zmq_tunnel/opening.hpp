// Opening the tunnel without ignoring Ctrl-C: connecting, checking the host key and logging in
// take up to --connect-timeout (longer through a ProxyJump), in library calls that cannot be
// interrupted. They run on a worker (core::worker) while the main thread waits for them or a
// stop signal; a stop is obeyed within a second:
//   - the children the opening started (ssh, with the openssh backend, in a session of its own)
//     are sent SIGTERM as a group, so the opening fails at once and cleans up after itself (the
//     askpass folder with the secrets removed);
//   - an opening still blocked after that (libssh2 waiting for a silent server) is abandoned:
//     the process ends with _Exit, which leaves nothing behind (no child, no file; the memory
//     goes with the process).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <zmqsec/tunnel/tunnel.hpp>

#include "options.hpp"

namespace zmqsec::tunnel_tool {

using opened_tunnel = std::pair<std::string, zmqsec::tunnel::tunnel>;

/// open_tunnel(opts.address, opts.server, opts.tunnel) on a worker, the password and passphrase
/// of opts wiped once it returns. nullopt when a stop signal came first (stop_fd readable);
/// rethrows what the opening threw. May end the process (see above).
std::optional<opened_tunnel> open_unless_stopped(options& opts, int stop_fd);

}  // namespace zmqsec::tunnel_tool
