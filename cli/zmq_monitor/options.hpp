// zmq-monitor's command line: the socket to open, its credentials, and how to print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <zmqsec/monitor/event.hpp>

#include "../common/tool.hpp"

namespace zmqsec::monitor_tool {

struct options {
  std::string endpoint;
  bool bind = false;  ///< --bind (else --connect)
  std::string type = "dealer";
  std::string curve_server_key;  ///< --connect: the server's key (Z85 or a certificate file)
  std::string cert;   ///< a secret certificate: the client's, or with --bind the server's
  std::string plain;  ///< USER:PASS: a PLAIN client, or with --bind the one PLAIN user
  bool json = false;
  std::uint64_t count = 0;  ///< exit after this many events; 0: until stopped
  monitor::event_mask events = monitor::all_events;
  std::string metrics;  ///< --metrics HOST:PORT (cli/common/metrics.hpp)
};

inline constexpr int exit_success = 0;
inline constexpr int exit_bad_input = 1;  ///< bad usage, endpoint, key or certificate
inline constexpr int exit_failure = 2;    ///< a socket or the output failed while running

/// Its name and exit statuses, for the skeleton it shares with the other long-running tools.
inline constexpr cli::tool this_tool{"zmq-monitor", exit_success, exit_bad_input, exit_failure};

/// Parses the command line into opts. Returns an exit status to stop with (help, version or a
/// usage error, reported on stderr), or nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, options& opts);

/// Prints "zmq-monitor: MESSAGE" on stderr, control characters made visible.
void report_error(const std::string& message);

}  // namespace zmqsec::monitor_tool
