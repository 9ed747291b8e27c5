// Waking CivetWeb's threads for a prompt stop. CivetWeb (1.15) polls its listening sockets and
// its connections in quanta of two seconds and looks at its stop flag only between them, so
// stopping an idle server takes up to two seconds: too long for a tool that must end within one
// second of SIGTERM. Shutting the server's sockets down first ends those polls at once.
#pragma once

#include <cstdint>
#include <string_view>

namespace zmqsec::metrics::detail {

/// Shuts down (SHUT_RDWR) every TCP socket of this process whose local port is port and whose
/// local address is host's (any address when host is a wildcard or a name): the
/// server's listening sockets and the connections they accepted. Returns how many.
int shut_down_server_sockets(std::string_view host, std::uint16_t port) noexcept;

}  // namespace zmqsec::metrics::detail
