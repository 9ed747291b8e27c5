// The families of an SSH tunnel.
#include <zmqsec/metrics/exposer.hpp>
#include <zmqsec/tunnel/tunnel.hpp>

#include "family_set.hpp"

namespace zmqsec::metrics {

registration exposer::add(const tunnel::tunnel& t, std::string name) {
  return add_source([&t, name = std::move(name)](detail::family_set& f) {
    const tunnel::tunnel_stats s = t.stats();
    const detail::labels l = {{"tunnel", name}};
    f.counter("zmqsec_tunnel_sent_bytes_total",
              "bytes forwarded from local connections to the destination (libssh2 backend)", l,
              s.bytes_sent);
    f.counter("zmqsec_tunnel_received_bytes_total",
              "bytes forwarded from the destination to local connections (libssh2 backend)", l,
              s.bytes_received);
    f.counter("zmqsec_tunnel_connections_total", "local connections taken for forwarding", l,
              s.connections_accepted);
    f.gauge("zmqsec_tunnel_connections_open", "forwarded connections open now (libssh2 backend)", l,
            static_cast<double>(s.connections_active));
    f.counter("zmqsec_tunnel_connections_refused_total",
              "forwarded connections the destination or the server refused", l,
              s.connections_refused);
    f.counter("zmqsec_tunnel_reconnects_total", "SSH sessions re-established", l, s.reconnects);
    f.gauge("zmqsec_tunnel_up", "1 while the tunnel is alive", l, t.is_alive() ? 1 : 0);
  });
}

}  // namespace zmqsec::metrics
