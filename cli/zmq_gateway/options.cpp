#include "options.hpp"

#include <CLI/CLI.hpp>

#include <map>

#include "../common/endpoints.hpp"
#include "../common/files.hpp"
#include "../common/metrics.hpp"
#include "../common/parse_arguments.hpp"

namespace zmqsec::gateway_tool {
namespace {

constexpr const char* footer = R"(
Puts CURVE in front of a service that speaks plain ZeroMQ, without changing the service: clients
connect to --front with CURVE, the policy file decides who may (their keys, their addresses), and
the gateway forwards their messages to --back over the socket types of --pattern:

  req-rep        REQ clients, a REP service         (ROUTER front, DEALER back)
  router-dealer  DEALER clients, a ROUTER service   (ROUTER front, DEALER back)
  pub-sub        SUB clients, a PUB service         (XPUB front, XSUB back)
  push-pull      PUSH clients, a PULL service       (PULL front, PUSH back)

The policy is auth's TOML policy file (docs/auth.md, examples/policy.toml); the front asks it
under the ZAP domain --domain (a [domains.gateway] table, or [domains."*"]). The gateway follows
the file: a saved change decides the next handshakes; SIGHUP loads it again with every folder and
key file it names. A file that does not load keeps the last good policy (said on stderr).

A service that already requires CURVE: --back-server-key gives its public key (Z85, or its
certificate file), and the gateway connects to it with its own certificate, or with --back-cert.

Every accepted and refused client is logged on stderr and, with --log, on a log stream
(zmq-logtail ENDPOINT reads it); --metrics serves the authenticator's decisions and the messages
forwarded each way to Prometheus. --capture publishes a copy of every message, in clear, prefixed
"in" (client to service) or "out": bind it on loopback.

Example:
  zmq-gateway --front 'tcp://*:5555' --back tcp://127.0.0.1:6000 --pattern req-rep \
              --cert gateway.key_secret --policy /etc/zmq-gateway/policy.toml \
              --log tcp://127.0.0.1:7001 --metrics 9105

Ctrl-C (SIGINT) or SIGTERM stops it.

Exit status: 0 stopped by a signal, 1 bad usage, certificate, policy or endpoint (in use, or
malformed), 2 a failure while running.
)";

const std::map<std::string, proxy::pattern> patterns{
    {"req-rep", proxy::pattern::router_dealer},
    {"router-dealer", proxy::pattern::router_dealer},
    {"pub-sub", proxy::pattern::xpub_xsub},
    {"push-pull", proxy::pattern::pull_push},
};

void report_error(const std::string& message) {
  this_tool.report(message);
}

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, options& opts) {
  CLI::App app{"Secure a plain ZeroMQ service with CURVE and a policy file, unchanged",
               "zmq-gateway"};
  app.set_version_flag("--version", "zmq-gateway " ZMQSEC_VERSION);
  app.footer(footer);
  app.add_option("--front", opts.front, "Bind the clients' side (CURVE) at ENDPOINT")
      ->type_name("ENDPOINT")
      ->required();
  app.add_option("--back", opts.back, "Connect to the service at ENDPOINT")
      ->type_name("ENDPOINT")
      ->required();
  app.add_option("--pattern", opts.pattern, "How clients and service talk (see below)")
      ->transform(CLI::CheckedTransformer(patterns, CLI::ignore_case))
      ->type_name("PATTERN")
      ->default_str("req-rep");
  app.add_option("--back-server-key", opts.back_server_key,
                 "The service is a CURVE server with this public key (Z85 or certificate file)")
      ->type_name("KEY|FILE")
      ->check(cli::not_empty());
  app.add_option("--back-cert", opts.back_cert,
                 "The secret certificate the gateway shows the service (default: --cert)")
      ->type_name("FILE")
      ->check(cli::not_empty());
  app.add_option("--cert", opts.cert, "The gateway's secret certificate (NAME.key_secret)")
      ->type_name("FILE")
      ->required()
      ->check(cli::not_empty());
  app.add_option("--policy", opts.policy, "Who may connect: auth's TOML policy file")
      ->type_name("FILE")
      ->required()
      ->check(cli::not_empty());
  app.add_option("--domain", opts.domain, "The ZAP domain the policy decides clients by")
      ->type_name("NAME")
      ->capture_default_str()
      ->check(cli::not_empty());
  app.add_option("--capture", opts.capture,
                 "Publish a copy of every message (in clear) on a PUB bound at ENDPOINT")
      ->type_name("ENDPOINT");
  app.add_option("--log", opts.log, "Publish the gateway's log (decisions) at ENDPOINT")
      ->type_name("ENDPOINT");
  cli::add_metrics_option(app, opts.metrics);

  if (const auto status = cli::parse_arguments(app, argc, argv, "zmq-gateway", report_error,
                                               exit_success, exit_bad_input)) {
    return status;
  }
  std::vector<std::string> endpoints{opts.front, opts.back};
  if (!opts.capture.empty()) endpoints.push_back(opts.capture);
  if (!opts.log.empty()) endpoints.push_back(opts.log);
  if (const auto problem = cli::bad_endpoint(endpoints)) {
    report_error(*problem);
    return exit_bad_input;
  }
  if (!opts.back_cert.empty() && opts.back_server_key.empty()) {
    report_error("--back-cert needs --back-server-key (the service's CURVE key)");
    return exit_bad_input;
  }
  // --back-server-key is 40 characters of Z85 or a certificate file: the file is checked here.
  const std::string no_file;
  const std::string& key_file = opts.back_server_key.size() == 40 ? no_file : opts.back_server_key;
  for (const std::string* file : std::initializer_list<const std::string*>{
           &opts.cert, &opts.policy, &opts.back_cert, &key_file}) {
    if (file->empty()) continue;
    if (const auto problem = cli::unreadable_file(*file, false)) {
      report_error(*problem);
      return exit_bad_input;
    }
  }
  return std::nullopt;
}

}  // namespace zmqsec::gateway_tool
