// Internal: the few socket operations the backends share.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <zmqsec/detail/unique_fd.hpp>

namespace zmqsec::tunnel::detail {

using zmqsec::detail::unique_fd;

/// A non-blocking listening socket on 127.0.0.1:port (0: any); throws local_port_in_use.
unique_fd listen_loopback(std::uint16_t port);
/// The port a socket is bound to.
std::uint16_t bound_port(int fd);
/// Connects to host:port within timeout (every address the name resolves to, in turn); returns
/// a non-blocking socket or throws resolve_failed / connect_failed / timed_out.
unique_fd connect_tcp(const std::string& host, std::uint16_t port,
                      std::chrono::milliseconds timeout);
void set_nonblocking(int fd);

}  // namespace zmqsec::tunnel::detail
