// zmq-gateway's command line: where the gateway listens, the service behind it, its certificate
// and policy, and what it reports.
#pragma once

#include <optional>
#include <string>

#include <zmqsec/proxy/device.hpp>

#include "../common/tool.hpp"

namespace zmqsec::gateway_tool {

struct options {
  std::string front;  ///< --front: bound, CURVE server
  std::string back;   ///< --back: connected, the plain service
  /// --back-server-key: the service is a CURVE server with this public key (Z85, or a
  /// certificate file); empty: the back side speaks NULL.
  std::string back_server_key;
  std::string back_cert;  ///< --back-cert: the certificate the back side uses; empty: --cert
  proxy::pattern pattern = proxy::pattern::router_dealer;
  std::string cert;                ///< the gateway's secret certificate
  std::string policy;              ///< auth's TOML policy file
  std::string domain = "gateway";  ///< the ZAP domain the policy decides the front by
  std::string capture;             ///< bound PUB: a copy of every message ("in"/"out"); empty: none
  std::string log;                 ///< bound pub_sink: the gateway's log stream; empty: stderr only
  std::string metrics;             ///< --metrics HOST:PORT (cli/common/metrics.hpp)
};

inline constexpr int exit_success = 0;
inline constexpr int exit_bad_input = 1;  ///< bad usage, certificate, policy, endpoint in use
inline constexpr int exit_failure = 2;    ///< the device or the authenticator failed while running

/// Its name and exit statuses, for the skeleton it shares with the other long-running tools.
inline constexpr cli::tool this_tool{"zmq-gateway", exit_success, exit_bad_input, exit_failure};

/// Parses the command line into opts. Returns an exit status to stop with (help, version or a
/// usage error, reported on stderr), or nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, options& opts);

}  // namespace zmqsec::gateway_tool
