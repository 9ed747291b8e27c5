#include "options.hpp"

#include "../common/endpoints.hpp"
#include "../common/files.hpp"
#include "../common/metrics.hpp"
#include "../common/numbers.hpp"
#include "../common/parse_arguments.hpp"

#include <CLI/CLI.hpp>

namespace zmqsec::logtail {
namespace {

constexpr const char* footer = R"(
Each record prints as one line, TOPIC MESSAGE (the topic coloured by level on a terminal), or
with --json as one JSON object: {"topic", "root_topic", "level", "subtopic", "message"}.
Records come from zmqsec's pub_sink and from pyzmq's PUBHandler alike.

Examples:
  zmq-logtail tcp://10.0.0.5:5556 --topic myapp.ERROR --topic myapp.CRITICAL
  zmq-logtail --bind 'tcp://*:5557'            # workers connect their pub_sinks here
  zmq-logtail tcp://logs:5556 --curve-server-key server.key --curve-cert me.key_secret

With --bind, the endpoints actually bound are printed on stderr ("listening on ...").
Ctrl-C (SIGINT) or SIGTERM stops it.

Exit status: 0 stopped by a signal or after --count records, 1 bad usage, endpoint, key or
certificate, 2 a failure while running.
)";

}  // namespace

void report_error(const std::string& message) {
  this_tool.report(message);
}

std::optional<int> parse_command_line(int argc, char** argv, options& opts) {
  CLI::App app{"Print the records of ZeroMQ log streams as they arrive.", "zmq-logtail"};
  app.set_version_flag("--version", "zmq-logtail " ZMQSEC_VERSION);
  app.footer(footer);
  app.add_option("ENDPOINT", opts.endpoints,
                 "Publishers to connect to (with --bind: endpoints to bind)")
      ->required();
  app.add_option("-t,--topic", opts.topics,
                 "Print only records whose topic starts with PREFIX; repeat for more")
      ->type_name("PREFIX")
      ->allow_extra_args(false);
  app.add_flag("-b,--bind", opts.bind, "Bind the endpoints, for publishers that connect");
  app.add_flag("--json", opts.json, "Print one JSON object per record");
  std::string color = "auto";
  app.add_option("--color", color,
                 "Colour levels: auto (on a terminal, unless NO_COLOR is set), always, never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_option("--curve-server-key", opts.curve_server_key,
                 "The publisher's CURVE public key: Z85, or a certificate file holding it")
      ->type_name("KEY|FILE")
      ->check(zmqsec::cli::not_empty());
  app.add_option("--curve-cert", opts.curve_cert,
                 "This subscriber's secret certificate (default: a fresh keypair)")
      ->type_name("FILE")
      ->check(zmqsec::cli::not_empty());
  app.add_option("-n,--count", opts.count, "Exit after N records (1 to 10^12)")
      ->type_name("N")
      ->check(zmqsec::cli::whole_number(1, max_count));

  zmqsec::cli::add_metrics_option(app, opts.metrics);

  if (const auto status = zmqsec::cli::parse_arguments(app, argc, argv, "zmq-logtail", report_error,
                                                       exit_success, exit_bad_input)) {
    return status;
  }
  opts.color = color == "always"  ? color_mode::always
               : color == "never" ? color_mode::never
                                  : color_mode::automatic;
  if (!opts.curve_cert.empty() && opts.curve_server_key.empty()) {
    report_error("--curve-cert needs --curve-server-key");
    return exit_bad_input;
  }
  if (const auto problem = zmqsec::cli::bad_endpoint(opts.endpoints)) {
    report_error(*problem);
    return exit_bad_input;
  }
  return std::nullopt;
}

}  // namespace zmqsec::logtail
