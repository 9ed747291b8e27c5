// How a tunnel logs in, checks the server and behaves once open. The defaults are safe: host keys
// are checked strictly against known_hosts, and an unknown or changed key is refused.
//
//   zt::options opt;
//   opt.keyfile = "/home/me/.ssh/id_ed25519";      // and opt.passphrase if it has one
//   opt.known_hosts = "/home/me/.ssh/known_hosts";
//   opt.timeout = std::chrono::seconds(60);         // pyzmq's meaning; 0 = until closed
//   opt.backend = zt::backend::openssh;             // ~/.ssh/config, ProxyJump, agents
//
// backend::automatic takes libssh2 (in-process, no ssh program needed) when a key file that is
// not RSA or a password is given, and openssh otherwise (ssh then finds keys, agents and its own
// configuration the way it does on the command line).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <zmqsec/core/secret_memory.hpp>

namespace zmqsec::tunnel {

/// What to do with a server key that known_hosts does not hold. A key that differs from the one
/// known_hosts holds is always refused.
enum class host_key_policy {
  strict,      ///< refuse it (the error carries its SHA256 fingerprint)
  accept_new,  ///< accept it and add it to known_hosts (OpenSSH's accept-new)
};

/// Which SSH implementation carries the forward.
enum class backend {
  automatic,  ///< libssh2 with an explicit non-RSA key or password, openssh otherwise
  libssh2,    ///< in-process: one SSH session per tunnel on a thread of its own
  openssh,    ///< a child `ssh -N -L ...` owned by the tunnel
};

struct options {
  /// Private key file (OpenSSH or PEM format); empty: none (agent or password instead).
  std::filesystem::path keyfile;
  /// Passphrase of keyfile, if it has one. In secret memory (core/secret_memory.hpp): out of
  /// core dumps, wiped; the tunnel wipes its own copy once logged in (unless it reconnects).
  core::secret_string passphrase;
  /// Password for password or keyboard-interactive authentication; empty: not tried. In secret
  /// memory like the passphrase.
  core::secret_string password;
  /// Offer the keys of the SSH agent at $SSH_AUTH_SOCK (libssh2, when no keyfile is given;
  /// openssh uses the agent as configured).
  bool use_agent = true;
  /// known_hosts file; empty: ~/.ssh/known_hosts (libssh2) or ssh's configuration (openssh).
  std::filesystem::path known_hosts;
  host_key_policy host_keys = host_key_policy::strict;
  /// pyzmq's timeout: the tunnel stays open at least this long waiting for a first connection,
  /// then closes as soon as no forwarded connection is in use. 0: open until closed.
  std::chrono::milliseconds timeout{0};
  /// The longest open_tunnel may take to connect, log in and set up the forward.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  /// Interval of SSH keepalive messages on an idle session; 0: none.
  std::chrono::seconds keepalive{30};
  zmqsec::tunnel::backend backend = zmqsec::tunnel::backend::automatic;
  /// Local port of the forward on 127.0.0.1; 0: one the system picks (libssh2: bound before
  /// open_tunnel returns, so no race; openssh: picked, then retried if ssh cannot bind it).
  std::uint16_t local_port = 0;
  /// libssh2: log in again when the session drops (forwarded connections open at the time are
  /// closed; the local port stays the same). Without it a dropped session ends the tunnel.
  bool reconnect = false;
  /// openssh: the ssh program and extra arguments placed before the destination, e.g.
  /// {"-F", "/path/config"} or {"-J", "jump-host"}.
  std::filesystem::path ssh_program = "ssh";
  std::vector<std::string> ssh_arguments;
};

}  // namespace zmqsec::tunnel
