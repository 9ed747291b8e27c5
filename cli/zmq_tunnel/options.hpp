// zmq-tunnel's command line: the endpoint to reach, the SSH server to reach it through, and how
// to log in there.
#pragma once

#include <optional>
#include <string>

#include <zmqsec/tunnel/options.hpp>

#include "../common/tool.hpp"

namespace zmqsec::tunnel_tool {

/// Where a secret comes from.
enum class secret_source { none, password_stdin, passphrase_stdin };

struct options {
  std::string address;  ///< tcp://HOST:PORT as the SSH server sees it
  std::string server;   ///< [user@]SERVER[:PORT]
  secret_source secret = secret_source::none;
  /// Everything for open_tunnel except the secret, which is read after parsing.
  zmqsec::tunnel::options tunnel;
  std::string metrics;  ///< --metrics HOST:PORT (cli/common/metrics.hpp)
};

inline constexpr int exit_success = 0;      ///< stopped by a signal, or closed when idle
inline constexpr int exit_bad_input = 1;    ///< bad usage, address, server, key file or secret
inline constexpr int exit_ssh_failure = 2;  ///< the tunnel could not be opened, or was lost

/// Its name and exit statuses, for the skeleton it shares with the other long-running tools.
inline constexpr cli::tool this_tool{"zmq-tunnel", exit_success, exit_bad_input, exit_ssh_failure};

/// Parses the command line into opts (and checks both addresses). Returns an exit status to stop
/// with (help, version or a usage error, reported on stderr), or nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, options& opts);

/// Prints "zmq-tunnel: MESSAGE" on stderr, control characters made visible.
void report_error(const std::string& message);

}  // namespace zmqsec::tunnel_tool
