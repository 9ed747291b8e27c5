// zmq-logtail's command line: what to subscribe to and how to print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../common/tool.hpp"

namespace zmqsec::logtail {

enum class color_mode { automatic, always, never };

struct options {
  std::vector<std::string> endpoints;
  std::vector<std::string> topics;  ///< empty: every record
  bool bind = false;
  bool json = false;
  color_mode color = color_mode::automatic;
  std::string curve_server_key;  ///< Z85, or a certificate file; empty: no CURVE
  std::string curve_cert;        ///< this client's secret certificate; empty: a fresh keypair
  std::uint64_t count = 0;       ///< exit after this many records; 0: run until stopped
  std::string metrics;           ///< --metrics HOST:PORT (cli/common/metrics.hpp)
};

/// The largest --count.
inline constexpr std::uint64_t max_count = 1'000'000'000'000;

inline constexpr int exit_success = 0;
inline constexpr int exit_bad_input = 1;  ///< bad usage, endpoint, key or certificate
inline constexpr int exit_failure = 2;    ///< a socket or the output failed while running

/// Its name and exit statuses, for the skeleton it shares with the other long-running tools.
inline constexpr cli::tool this_tool{"zmq-logtail", exit_success, exit_bad_input, exit_failure};

/// Parses the command line into opts. Returns an exit status to stop with (help, version or a
/// usage error, reported on stderr), or nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, options& opts);

/// Prints "zmq-logtail: MESSAGE" on stderr, control characters made visible.
void report_error(const std::string& message);

}  // namespace zmqsec::logtail
