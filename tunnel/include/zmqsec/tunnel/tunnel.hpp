// A tunnel: an SSH port forward from a port on 127.0.0.1 to a TCP endpoint reachable from the
// SSH server, owned by this handle. Destroying the handle (or close()) ends it: the libssh2
// session and its thread are stopped, or the ssh child is killed and reaped.
//
//   auto [url, t] = zt::open_tunnel("tcp://10.0.1.2:5555", "me@gateway", opt);
//   sock.connect(url);                  // "tcp://127.0.0.1:PORT"
//   ...
//   if (!t.is_alive()) std::cerr << t.last_error() << '\n';
//   auto s = t.stats();                 // connections and bytes forwarded
//
// Runtime problems are reported, not thrown: a destination that refuses a forwarded connection
// closes that one local connection and counts in stats().connections_refused; a dropped session
// ends the tunnel (or is re-established with options::reconnect). last_error() says what happened
// last.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <zmqsec/tunnel/options.hpp>

namespace zmqsec::tunnel {

/// What a tunnel has forwarded since it was opened. The openssh backend counts connections
/// (accepted and refused) from ssh's own log; bytes only the libssh2 backend counts.
struct tunnel_stats {
  std::uint64_t connections_accepted = 0;  ///< local connections taken for forwarding
  std::uint64_t connections_active = 0;    ///< of which still open (libssh2)
  std::uint64_t connections_refused = 0;   ///< refused by the destination (or the server)
  std::uint64_t bytes_sent = 0;            ///< from local connections to the destination
  std::uint64_t bytes_received = 0;        ///< from the destination to local connections
  std::uint64_t reconnects = 0;            ///< sessions re-established (libssh2, reconnect)
};

class tunnel {
 public:
  class impl;

  /// An empty handle: no tunnel, not alive.
  tunnel() noexcept;
  explicit tunnel(std::unique_ptr<impl> state) noexcept;
  tunnel(tunnel&&) noexcept;
  tunnel& operator=(tunnel&&) noexcept;
  ~tunnel();

  /// "tcp://127.0.0.1:PORT": where to connect to reach the destination.
  std::string local_endpoint() const;
  std::uint16_t local_port() const noexcept;
  /// The backend that carries this tunnel (never automatic).
  zmqsec::tunnel::backend backend() const noexcept;

  /// True until the tunnel is closed, its idle timeout ends it or its session is lost.
  bool is_alive() const noexcept;
  /// Ends the tunnel now; forwarded connections are closed. Idempotent.
  void close() noexcept;

  tunnel_stats stats() const noexcept;
  /// The last problem reported (a refused connection, a lost session); empty if none.
  std::string last_error() const;

  /// openssh: the pid of the ssh child while it runs; empty once it has exited (it is reaped
  /// by then, so the pid is never that of an exited or reused process) and for libssh2.
  std::optional<int> ssh_pid() const noexcept;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace zmqsec::tunnel
