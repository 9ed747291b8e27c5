// --metrics HOST:PORT, the same for every tool that runs until stopped (zmq-monitor, zmq-logtail,
// zmq-tunnel): what the tool's components counted, served to Prometheus by a
// zmqsec::metrics::exposer. A bare PORT means 127.0.0.1:PORT; another host only when written.
//
//   zmqsec::cli::add_metrics_option(app, opts.metrics);              // options.cpp
//   zmqsec::cli::metrics_endpoint metrics(this_tool, opts.metrics);  // after what it exports
//   metrics.add(subscriber, "zmq-logtail");                          // nothing if not asked for
//   metrics.announce();                                              // "metrics at URL"
//
// Built without zmqsec::metrics (ZMQSEC_BUILD_METRICS=OFF) the tools have no --metrics option
// and metrics_endpoint does nothing.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tool.hpp"

#if ZMQSEC_CLI_METRICS
#include <zmqsec/metrics.hpp>
#endif

namespace zmqsec::cli {

/// address, or 127.0.0.1:PORT for a bare PORT.
inline std::string with_default_host(const std::string& address) {
  return address.find(':') == std::string::npos ? "127.0.0.1:" + address : address;
}

/// Adds --metrics to app, writing into address (left empty when not given).
inline void add_metrics_option([[maybe_unused]] CLI::App& app,
                               [[maybe_unused]] std::string& address) {
#if ZMQSEC_CLI_METRICS
  app.add_option("--metrics", address,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (a bare PORT: on "
                 "127.0.0.1)")
      ->type_name("HOST:PORT")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            // Checked here, before anything runs (zmq-tunnel would otherwise open its tunnel
            // first): an empty value is a mistake, not "no metrics".
            if (value.empty()) return "the metrics address is empty";
            try {
              metrics::check_address(with_default_host(value));
            } catch (const zmqsec::error& e) {
              return e.what();
            }
            return {};
          },
          "HOST:PORT"));
#endif
}

/// The exposer --metrics asked for and what the tool registered with it. Declare it after the
/// components it exports: it is then destroyed first, and never reads one that is gone.
class metrics_endpoint {
 public:
  /// Listens at address (nothing if empty). Throws zmqsec::error (bad input) for an address it
  /// cannot parse or bind.
  metrics_endpoint([[maybe_unused]] const tool& t, [[maybe_unused]] const std::string& address)
      : name_(t.name) {
#if ZMQSEC_CLI_METRICS
    if (address.empty()) return;
    exposer_ = std::make_unique<metrics::exposer>(with_default_host(address));
#endif
  }

  /// Says on stderr where the metrics are served, once the tool has added what it exports: a
  /// scraper that reads the line (a test, a supervisor) then finds every series there.
  void announce() const {
#if ZMQSEC_CLI_METRICS
    if (exposer_) std::cerr << name_ << ": metrics at " << exposer_->url() << std::endl;
#endif
  }

  /// Exports component (see metrics::exposer::add) if --metrics was given.
  template <typename Component, typename... Options>
  void add([[maybe_unused]] const Component& component, [[maybe_unused]] Options&&... options) {
#if ZMQSEC_CLI_METRICS
    if (exposer_) {
      exported_.push_back(exposer_->add(component, std::forward<Options>(options)...));
    }
#endif
  }

 private:
  std::string name_;
#if ZMQSEC_CLI_METRICS
  std::unique_ptr<metrics::exposer> exposer_;
  std::vector<metrics::registration> exported_;  // after the exposer: ended first
#endif
};

}  // namespace zmqsec::cli
