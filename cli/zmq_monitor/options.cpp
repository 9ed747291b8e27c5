#include "options.hpp"

#include "../common/endpoints.hpp"
#include "../common/files.hpp"
#include "../common/metrics.hpp"
#include "../common/numbers.hpp"
#include "../common/parse_arguments.hpp"

#include <CLI/CLI.hpp>

namespace zmqsec::monitor_tool {
namespace {

constexpr const char* footer = R"(
Opens one socket the way an application would (type, endpoint, credentials), attaches a monitor
and prints every event it reports, one line each with a UTC timestamp:

  2026-01-02T03:04:05.678901Z HANDSHAKE_FAILED_AUTH tcp://10.0.0.5:5555: ZAP status 400 (authentication refused)

With --json, one object per line: {"time", "event", "value", "endpoint", "detail"} plus, by event,
"fd", "errno" and "error", "interval_ms", "zap_status", or "protocol_error".

Credentials: --curve-server-key KEY makes a CURVE client (with --cert's keys, or a fresh keypair);
--plain USER:PASS a PLAIN client. With --bind, --cert makes a CURVE server with that certificate
(any client key accepted) and --plain USER:PASS a PLAIN server whose in-process authenticator
knows that one user; its refusals print with the authenticator's reason.

Examples:
  zmq-monitor --connect tcp://10.0.0.5:5555 --curve-server-key server.key --cert me.key_secret
  zmq-monitor --connect tcp://10.0.0.5:5555 --plain admin:secret --json
  zmq-monitor --bind 'tcp://*:5555' --plain admin:secret --event HANDSHAKE_FAILED_AUTH

Ctrl-C (SIGINT) or SIGTERM stops it; so does --count N after N events.

Exit status: 0 stopped by a signal or after --count events, 1 bad usage, endpoint, key or
certificate, 2 a failure while running.
)";

const std::vector<std::string> socket_types{"pair",   "pub",  "sub",  "req",  "rep",  "dealer",
                                            "router", "pull", "push", "xpub", "xsub", "stream"};

}  // namespace

void report_error(const std::string& message) {
  this_tool.report(message);
}

std::optional<int> parse_command_line(int argc, char** argv, options& opts) {
  CLI::App app{"Print the monitor events of a ZeroMQ socket: why won't it connect?", "zmq-monitor"};
  app.set_version_flag("--version", "zmq-monitor " ZMQSEC_VERSION);
  app.footer(footer);
  std::string connect_to, bind_at;
  auto* connect = app.add_option("-c,--connect", connect_to, "Connect the socket to ENDPOINT")
                      ->type_name("ENDPOINT");
  auto* bind =
      app.add_option("-b,--bind", bind_at, "Bind the socket at ENDPOINT")->type_name("ENDPOINT");
  connect->excludes(bind);
  app.add_option("-t,--type", opts.type, "Socket type")
      ->check(CLI::IsMember(socket_types))
      ->capture_default_str();
  app.add_option("--curve-server-key", opts.curve_server_key,
                 "The server's CURVE public key: Z85, or a certificate file holding it")
      ->type_name("KEY|FILE")
      ->check(zmqsec::cli::not_empty());
  app.add_option("--cert", opts.cert,
                 "A secret certificate: this client's keys (default: a fresh keypair), or with "
                 "--bind the CURVE server's")
      ->type_name("FILE")
      ->check(zmqsec::cli::not_empty());
  app.add_option("--plain", opts.plain, "PLAIN credentials (with --bind: the one user allowed)")
      ->type_name("USER:PASS")
      ->check(zmqsec::cli::not_empty());
  app.add_flag("--json", opts.json, "Print one JSON object per event");
  app.add_option("-n,--count", opts.count, "Exit after N events (1 to 10^12)")
      ->type_name("N")
      ->check(zmqsec::cli::whole_number(1, 1'000'000'000'000));
  std::vector<std::string> names;
  app.add_option("-e,--event", names,
                 "Print only events named NAME (CONNECTED, HANDSHAKE_FAILED_AUTH, ...); repeat "
                 "for more")
      ->type_name("NAME")
      ->allow_extra_args(false);

  zmqsec::cli::add_metrics_option(app, opts.metrics);

  if (const auto status = zmqsec::cli::parse_arguments(app, argc, argv, "zmq-monitor", report_error,
                                                       exit_success, exit_bad_input)) {
    return status;
  }
  if (connect_to.empty() && bind_at.empty()) {
    report_error("give --connect ENDPOINT or --bind ENDPOINT");
    return exit_bad_input;
  }
  opts.bind = !bind_at.empty();
  opts.endpoint = opts.bind ? bind_at : connect_to;
  if (const auto problem = zmqsec::cli::bad_endpoint({opts.endpoint})) {
    report_error(*problem);
    return exit_bad_input;
  }
  if (!opts.plain.empty()) {
    // PLAIN (RFC 24) carries each of them in one length byte; libzmq refuses empty ones.
    const auto colon = opts.plain.find(':');
    const bool fits = colon != std::string::npos && colon >= 1 && colon <= 255 &&
                      opts.plain.size() - colon - 1 >= 1 && opts.plain.size() - colon - 1 <= 255;
    if (!fits) {
      report_error("--plain takes USER:PASS, each of 1 to 255 bytes");  // never repeats them
      return exit_bad_input;
    }
  }
  if (!opts.plain.empty() && (!opts.curve_server_key.empty() || !opts.cert.empty())) {
    report_error("--plain and CURVE (--curve-server-key, --cert) exclude each other");
    return exit_bad_input;
  }
  if (opts.bind && !opts.curve_server_key.empty()) {
    report_error("--curve-server-key is for --connect (with --bind, give the server's --cert)");
    return exit_bad_input;
  }
  if (!opts.bind && !opts.cert.empty() && opts.curve_server_key.empty()) {
    report_error("--cert needs --curve-server-key when connecting");
    return exit_bad_input;
  }
  if (!names.empty()) {
    opts.events = monitor::event_mask();
    for (const auto& name : names) {
      auto type = monitor::event_from_name(name);
      if (!type) {
        report_error("unknown event: " + name);
        return exit_bad_input;
      }
      opts.events = opts.events | *type;
    }
  }
  return std::nullopt;
}

}  // namespace zmqsec::monitor_tool
