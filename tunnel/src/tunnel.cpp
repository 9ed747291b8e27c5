#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <zmqsec/tunnel/open.hpp>

#include "impl.hpp"
#include "key_files.hpp"
#include "net.hpp"

namespace zmqsec::tunnel {

tunnel::tunnel() noexcept = default;
tunnel::tunnel(std::unique_ptr<impl> state) noexcept : impl_(std::move(state)) {}
tunnel::tunnel(tunnel&&) noexcept = default;
tunnel& tunnel::operator=(tunnel&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
tunnel::~tunnel() {
  close();
}

std::string tunnel::local_endpoint() const {
  if (!impl_) return "";
  return "tcp://127.0.0.1:" + std::to_string(impl_->port());
}
std::uint16_t tunnel::local_port() const noexcept {
  return impl_ ? impl_->port() : 0;
}
backend tunnel::backend() const noexcept {
  return impl_ ? impl_->kind() : backend::automatic;
}
bool tunnel::is_alive() const noexcept {
  return impl_ && impl_->alive();
}
void tunnel::close() noexcept {
  if (impl_) impl_->close();
}
tunnel_stats tunnel::stats() const noexcept {
  return impl_ ? impl_->stats() : tunnel_stats{};
}
std::string tunnel::last_error() const {
  return impl_ ? impl_->last_error() : "";
}
std::optional<int> tunnel::ssh_pid() const noexcept {
  return impl_ ? impl_->ssh_pid() : std::nullopt;
}

namespace {

backend choose(const options& opt) {
  if (opt.backend != backend::automatic) return opt.backend;
  if (!opt.keyfile.empty() && !detail::is_rsa_key(opt.keyfile)) return backend::libssh2;
  if (opt.keyfile.empty() && !opt.password.empty()) return backend::libssh2;
  return backend::openssh;
}

}  // namespace

std::pair<std::string, tunnel> open_tunnel(std::string_view addr, std::string_view server,
                                           const options& opt) {
  const tcp_address dest = parse_tcp_address(addr);
  const server_address ssh_server = parse_server(server);
  detail::check_files(opt);  // a FIFO or /dev/zero named as a key fails here, clearly
  tunnel t(choose(opt) == backend::libssh2 ? detail::open_libssh2(dest, ssh_server, opt)
                                           : detail::open_openssh(dest, ssh_server, opt));
  std::string url = t.local_endpoint();
  return {std::move(url), std::move(t)};
}

tunnel tunnel_connection(zmq::socket_ref socket, std::string_view addr, std::string_view server,
                         const options& opt) {
  auto [url, t] = open_tunnel(addr, server, opt);
  socket.connect(url);
  return std::move(t);
}

bool try_passwordless_ssh(std::string_view server, const options& opt) {
  const server_address ssh_server = parse_server(server);
  if (choose(opt) == backend::libssh2) return detail::libssh2_can_log_in(ssh_server, opt);
  return detail::openssh_can_log_in(ssh_server, opt);
}

std::vector<std::uint16_t> select_random_ports(std::size_t n) {
  // All bound at once, so the n ports are distinct.
  std::vector<detail::unique_fd> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i) {
    held.push_back(detail::listen_loopback(0));
    ports.push_back(detail::bound_port(held.back().get()));
  }
  return ports;
}

}  // namespace zmqsec::tunnel
