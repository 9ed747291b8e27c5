// Why a tunnel could not be opened or went down: the codes of zmqsec::tunnel::error_category(),
// carried by the zmqsec::error that open_tunnel and tunnel_connection throw.
//
//   try {
//     auto [url, t] = zt::open_tunnel("tcp://10.0.1.2:5555", "me@gateway", opt);
//   } catch (const zmqsec::error& e) {
//     if (e.code() == zt::errc::host_key_unknown) std::cerr << e.what() << '\n';  // fingerprint
//   }
//
// Bad input (a malformed server string or address) is zmqsec::errc::invalid_argument instead.
#pragma once

#include <string>
#include <system_error>

#include <zmqsec/error.hpp>  // what the tunnel functions throw

namespace zmqsec::tunnel {

/// What went wrong between us and the SSH server.
enum class errc {
  host_key_unknown = 1,  ///< the server's key is not in known_hosts (strict policy)
  host_key_changed,      ///< known_hosts holds a different key for the server
  permission_denied,     ///< the server refused every credential we offered
  unsupported_key,       ///< the key cannot be used with this backend (RSA with libssh2 1.10)
  resolve_failed,        ///< the server's name does not resolve
  connect_failed,        ///< no TCP connection to the server (refused, unreachable, timed out)
  local_port_in_use,     ///< the local end of the forward cannot be bound
  timed_out,             ///< the forward was not ready within options::connect_timeout
  ssh_failed,            ///< anything else the SSH layer reported (its message says what)
};

namespace detail {
class tunnel_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zmqsec.tunnel"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::host_key_unknown:
        return "unknown host key";
      case errc::host_key_changed:
        return "host key changed";
      case errc::permission_denied:
        return "permission denied";
      case errc::unsupported_key:
        return "unsupported key";
      case errc::resolve_failed:
        return "could not resolve host";
      case errc::connect_failed:
        return "could not connect";
      case errc::local_port_in_use:
        return "local port in use";
      case errc::timed_out:
        return "timed out";
      case errc::ssh_failed:
        return "ssh failed";
    }
    return "unknown tunnel error";
  }
};
}  // namespace detail

inline const std::error_category& error_category() noexcept {
  static const detail::tunnel_category_impl category;
  return category;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace zmqsec::tunnel

template <>
struct std::is_error_code_enum<zmqsec::tunnel::errc> : std::true_type {};
