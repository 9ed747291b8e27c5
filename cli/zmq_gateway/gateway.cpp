#include "gateway.hpp"

#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <zmqsec/auth/session_guard.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/core/no_core_dumps.hpp>
#include <zmqsec/logging/pub_sink.hpp>
#include <zmqsec/proxy/device.hpp>

#include "../common/metrics.hpp"

namespace zmqsec::gateway_tool {
namespace {

// Decisions and the gateway's own news: on stderr always, on a log stream with --log.
struct gateway_log {
  std::shared_ptr<logging::pub_sink_mt> stream;
  std::shared_ptr<spdlog::logger> logger;
};

gateway_log make_log(const options& opts, zmq::context_t& context) {
  gateway_log log;
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  if (!opts.log.empty()) {
    log.stream = std::make_shared<logging::pub_sink_mt>(logging::pub_sink_config{
        .bind = {opts.log}, .root_topic = "zmq-gateway", .context = &context});
    sinks.push_back(log.stream);
  }
  log.logger = std::make_shared<spdlog::logger>("zmq-gateway", sinks.begin(), sinks.end());
  log.logger->set_level(spdlog::level::info);
  log.logger->flush_on(spdlog::level::info);
  return log;
}

// The public key of --back-server-key: 40 characters of Z85, or a certificate file.
certs::public_key back_server_key(const std::string& given) {
  std::error_code ec;
  if (given.size() == 40 && !std::filesystem::exists(given, ec)) {
    try {
      return certs::public_key::from_z85(given);
    } catch (const std::exception& e) {
      throw zmqsec::error(errc::invalid_argument,
                          std::string("--back-server-key: not a Z85 public key: ") + e.what());
    }
  }
  return certs::load_certificate(given).public_key;
}

// NULL towards a plain service; CURVE towards one that asks for it (--back-server-key), with
// the gateway's own certificate unless --back-cert names another.
proxy::side_security back_security(const options& opts, const certs::certificate& cert) {
  if (opts.back_server_key.empty()) return proxy::side_security::null_client();
  const certs::public_key server = back_server_key(opts.back_server_key);
  if (opts.back_cert.empty()) return proxy::side_security::curve_client(server, cert);
  return proxy::side_security::curve_client(server, certs::load_certificate(opts.back_cert));
}

proxy::device_config device_config_for(const options& opts, const certs::certificate& cert,
                                       zmq::context_t& context, auth::authenticator& auth) {
  proxy::device_config config{
      .pattern = opts.pattern,
      .front = {.bind = {opts.front},
                .security = proxy::side_security::curve_server(cert, opts.domain)},
      .back = {.connect = {opts.back}, .security = back_security(opts, cert)},
      // Live revocation: a client whose key the policy stops allowing is cut off, and nothing it
      // sent after that reaches the service (auth/session_guard.hpp).
      .make_front_filter =
          [&auth](zmq::socket_t& front) {
            auto guard = std::make_shared<auth::session_guard>(auth, front);
            return proxy::message_filter(
                [guard](zmq::message_t& first_frame) { return guard->check(first_frame); });
          },
      .context = &context,
      .thread_name = "zmq-gateway"};
  if (!opts.capture.empty()) {
    // In clear, like the service's own traffic behind the gateway: the operator binds it where
    // only the gateway's host reaches it.
    config.capture = {.bind = {opts.capture}, .security = proxy::side_security::open()};
  }
  return config;
}

void reload(auth::thread_authenticator& auth, spdlog::logger& log, int reload_fd) {
  signalfd_siginfo info;
  while (::read(reload_fd, &info, sizeof info) == sizeof info) {
  }
  if (auth.reload()) {
    log.info("SIGHUP: policy reloaded");
  } else {
    log.error("SIGHUP: the policy did not reload; the last good policy stays in force");
  }
}

std::string what_failed(const std::exception_ptr& failure) {
  if (!failure) return "it stopped";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an unknown exception";
  }
}

}  // namespace

int serve(const options& opts, int stop_fd, int reload_fd) {
  // The gateway's secret key (and libzmq's copy in the front socket) stays out of core dumps.
  core::no_core_dumps no_dumps;
  const certs::certificate cert = certs::load_certificate(opts.cert);
  zmq::context_t context(1);
  gateway_log log = make_log(opts, context);
  auth::thread_authenticator auth(context, log.logger);
  auth.load_policy_file(opts.policy);
  auth.start();
  proxy::device gateway(device_config_for(opts, cert, context, auth));
  log.logger->info("front {} (CURVE, ZAP domain {}), back {} ({})", gateway.front_endpoints().at(0),
                   opts.domain, opts.back, opts.back_server_key.empty() ? "NULL" : "CURVE");
  for (const auto& endpoint : gateway.capture_endpoints()) {
    log.logger->info("capture at {}", endpoint);
  }
  if (log.stream) log.logger->info("log stream at {}", log.stream->last_endpoint());
  cli::metrics_endpoint metrics(this_tool, opts.metrics);  // after what it exports
  metrics.add(auth);
  metrics.add(gateway, "zmq-gateway");
  if (log.stream) metrics.add(*log.stream, "zmq-gateway");
  metrics.announce();

  zmq_pollitem_t items[] = {{nullptr, stop_fd, ZMQ_POLLIN, 0}, {nullptr, reload_fd, ZMQ_POLLIN, 0}};
  for (;;) {
    // A short timeout: the device and the authenticator end only by failing, and say so only
    // when asked.
    if (zmq_poll(items, 2, 250) < 0 && zmq_errno() != EINTR) {
      this_tool.report(std::string("poll failed: ") + zmq_strerror(zmq_errno()));
      return exit_failure;
    }
    if ((items[0].revents & ZMQ_POLLIN) != 0) return exit_success;
    if ((items[1].revents & ZMQ_POLLIN) != 0) reload(auth, *log.logger, reload_fd);
    if (!gateway.running()) {
      this_tool.report("the proxy failed: " + what_failed(gateway.failure()));
      return exit_failure;
    }
    if (!auth.is_alive()) {
      this_tool.report("the authenticator stopped; every handshake would be refused");
      return exit_failure;
    }
  }
}

}  // namespace zmqsec::gateway_tool
