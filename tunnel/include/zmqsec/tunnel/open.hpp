// Opening tunnels, with pyzmq's names (zmq.ssh.tunnel): open_tunnel gives a local URL that
// reaches a remote endpoint through an SSH server; tunnel_connection also connects a socket to it.
//
//   zt::options opt;
//   opt.keyfile = "/home/me/.ssh/id_ed25519";
//   opt.known_hosts = "/home/me/.ssh/known_hosts";
//   zmq::socket_t req{ctx, zmq::socket_type::req};
//   zt::tunnel t = zt::tunnel_connection(req, "tcp://10.0.1.2:5555", "me@gateway:22", opt);
//   auto [url, t2] = zt::open_tunnel("tcp://127.0.0.1:6000", "me@gateway", opt);
//
// Both return once the forward accepts connections (the local port is bound, the SSH session is
// logged in and host keys are checked) and throw zmqsec::error otherwise: errc::invalid_argument
// for malformed input, tunnel::errc codes for SSH failures (see error.hpp), with a message that
// says what happened ("unknown host key for [gw]:22 (ED25519 SHA256:...)").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/tunnel/options.hpp>
#include <zmqsec/tunnel/tunnel.hpp>

namespace zmqsec::tunnel {

/// Opens a tunnel to addr ("tcp://host:port" as seen from the server) through server
/// ("[user@]host[:port]"); returns the local URL to connect to and the tunnel.
std::pair<std::string, tunnel> open_tunnel(std::string_view addr, std::string_view server,
                                           const options& opt = {});

/// open_tunnel, then socket.connect(url). The socket is connected when this returns.
tunnel tunnel_connection(zmq::socket_ref socket, std::string_view addr, std::string_view server,
                         const options& opt = {});

/// Whether server lets us log in with opt's key, agent or ssh configuration alone (no
/// password): pyzmq's try_passwordless_ssh. Host key problems still throw.
bool try_passwordless_ssh(std::string_view server, const options& opt = {});

/// n distinct ports on 127.0.0.1 that were free when this returned (pyzmq's name). Only a hint:
/// another process may take them; open_tunnel's default (local_port 0) has no such race.
std::vector<std::uint16_t> select_random_ports(std::size_t n);

}  // namespace zmqsec::tunnel
