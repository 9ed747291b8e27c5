// zmq-monitor's output: one line per event, as text or JSON (UTF-8 kept), with the time it was
// read.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <zmqsec/core/text.hpp>
#include <zmqsec/monitor/auth_correlation.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor_tool {

class printer {
 public:
  printer(std::ostream& out, bool json) : out_(out), json_(json) {}

  /// One line for e, with the authenticator's reason when there is one.
  void print(const monitor::event& e, std::chrono::system_clock::time_point when,
             const std::optional<monitor::auth_explanation>& reason);

 private:
  std::ostream& out_;
  bool json_;
  core::utc_timestamp time_;  // "2026-01-02T03:04:05.678901Z", the date formatted once a second
};

}  // namespace zmqsec::monitor_tool
