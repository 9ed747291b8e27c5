// The two addresses a tunnel joins: the SSH server ("user@host:port") and the ZeroMQ endpoint
// behind it ("tcp://host:port"), parsed strictly so that a typo fails at once with a message
// saying what is wrong, instead of as a confusing SSH or libzmq error later.
//
//   auto s = zt::parse_server("me@[fd00::7]:2222");   // {user "me", host "fd00::7", port 2222}
//   auto s2 = zt::parse_server("gateway");            // {user "", host "gateway", port 22}
//   auto d = zt::parse_tcp_address("tcp://[::1]:5555");  // {host "::1", port 5555}
//
// Accepted server forms: host, host:port, user@host, user@host:port, with an IPv6 host either in
// brackets ([::1], [::1]:2222) or bare without a port (::1). Accepted addresses: tcp://host:port
// and tcp://[v6]:port with a numeric port; anything else (ipc://, a wildcard port, a source
// address "iface;host:port", a missing port) throws zmqsec::error with errc::invalid_argument.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zmqsec::tunnel {

/// An SSH server: who to log in as and where.
struct server_address {
  std::string user;         ///< empty: the current user (libssh2) or ssh's own choice (openssh)
  std::string host;         ///< a name, an IPv4 address or a bare IPv6 address (no brackets)
  std::uint16_t port = 22;  ///< explicit or 22
  bool explicit_port = false;

  /// "user@host:port" with brackets around an IPv6 host; user and port only when given.
  std::string to_string() const;
};

/// A TCP endpoint of ZeroMQ's form.
struct tcp_address {
  std::string host;  ///< a name, an IPv4 address or a bare IPv6 address (no brackets)
  std::uint16_t port = 0;

  /// "tcp://host:port", with brackets around an IPv6 host.
  std::string to_string() const;
};

/// Parses an SSH server string; throws zmqsec::error (errc::invalid_argument) if malformed.
server_address parse_server(std::string_view text);

/// Parses "tcp://host:port"; throws zmqsec::error (errc::invalid_argument) if malformed.
tcp_address parse_tcp_address(std::string_view text);

/// "host" or "[host]" for an IPv6 address: the form that can be followed by ":port".
std::string bracket_host(std::string_view host);

}  // namespace zmqsec::tunnel
