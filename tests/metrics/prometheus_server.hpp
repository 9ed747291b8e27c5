// A real Prometheus server (Debian's prometheus package) for a test: started on 127.0.0.1 at a
// free port, its storage in a temporary folder, scraping one target every second. The test
// waits on /-/ready, then asks /api/v1/query until a series shows the value it expects.
//
//   prometheus_server prometheus("127.0.0.1:" + std::to_string(exposer.port()));
//   EXPECT_EQ(prometheus.wait_for_value("zmqsec_auth_requests_total", 5, 30s), 5);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "process.hpp"
#include "temp_dir.hpp"

namespace zmqsec::testing {

class prometheus_server {
 public:
  static constexpr const char* program = "/usr/bin/prometheus";

  /// Starts Prometheus scraping target ("HOST:PORT", path /metrics) every second and waits until
  /// it is ready (at most ready_timeout). Throws std::runtime_error, with its log, if it is not.
  explicit prometheus_server(const std::string& target,
                             std::chrono::milliseconds ready_timeout = std::chrono::seconds(60));
  ~prometheus_server();
  prometheus_server(const prometheus_server&) = delete;
  prometheus_server& operator=(const prometheus_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  /// The value of the instant query expr now: nullopt when it has no result (the series was not
  /// scraped yet) or the query failed. expr must give at most one series.
  std::optional<double> query(const std::string& expr, std::string* error = nullptr) const;
  /// Queries expr until its value is expected or timeout passes; returns the last value seen.
  std::optional<double> wait_for_value(const std::string& expr, double expected,
                                       std::chrono::milliseconds timeout) const;
  /// Whether the scrape target is up (the up series is 1).
  bool wait_for_target_up(std::chrono::milliseconds timeout) const;
  /// What Prometheus wrote to its standard error so far.
  std::string log();

 private:
  temp_dir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_loopback_port();

}  // namespace zmqsec::testing
