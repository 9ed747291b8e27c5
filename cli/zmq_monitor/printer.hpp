// zmq-monitor's output: one line per event, as text or JSON, with the time it was read.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <zmqsec/monitor/auth_correlation.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor_tool {

/// "2026-01-02T03:04:05.678901Z".
std::string utc_timestamp(std::chrono::system_clock::time_point when);

/// Text in a JSON string (quotes included); bytes outside printable ASCII as \u00XX.
std::string json_string(std::string_view text);

class printer {
 public:
  printer(std::ostream& out, bool json) : out_(out), json_(json) {}

  /// One line for e, with the authenticator's reason when there is one.
  void print(const monitor::event& e, std::chrono::system_clock::time_point when,
             const std::optional<monitor::auth_explanation>& reason);

 private:
  std::ostream& out_;
  bool json_;
};

}  // namespace zmqsec::monitor_tool
