// zmq-monitor: open a socket the way an application would and print every monitor event it
// reports, with a timestamp: the tool an operator runs to see why a client is refused.
//
//   zmq-monitor --connect tcp://10.0.0.5:5555 --curve-server-key server.key --cert me.key_secret
//   zmq-monitor --bind 'tcp://*:5555' --plain admin:secret --json
//
// One thread: it polls the monitor's reading end (a monitor_socket, not the thread variant) and
// the stop signals (cli/common/tool.hpp). On a signal or after --count events it detaches the
// monitor in the safe order and exits 0.
#include <zmq.h>

#include <iostream>
#include <optional>
#include <string>

#include <zmqsec/core/no_core_dumps.hpp>
#include <zmqsec/monitor/auth_correlation.hpp>
#include <zmqsec/monitor/event_counts.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

#include "common/metrics.hpp"
#include "common/tool.hpp"
#include "zmq_monitor/options.hpp"
#include "zmq_monitor/printer.hpp"
#include "zmq_monitor/socket_setup.hpp"

namespace {

using namespace zmqsec::monitor_tool;
namespace zm = zmqsec::monitor;

int run(const options& opts, int stop_fd) {
  // A PLAIN password or a CURVE secret key (libzmq keeps its own copy in the socket's options)
  // stays out of core dumps and debuggers while the tool runs (core/no_core_dumps.hpp).
  std::optional<zmqsec::core::no_core_dumps> no_dumps;
  if (!opts.plain.empty() || !opts.cert.empty() || !opts.curve_server_key.empty()) {
    no_dumps.emplace();
  }
  zmq::context_t context;
  zm::auth_correlator correlator;
  zmq::socket_t socket(context, socket_type_of(opts.type));
  socket.set(zmq::sockopt::linger, 0);
  if (opts.type == "sub") socket.set(zmq::sockopt::subscribe, "");
  const auto authenticator = configure_credentials(context, socket, opts, correlator);
  const auto scope = zm::scope_of(socket);

  // Attached before the bind or connect, so that LISTENING or CONNECTED is seen.
  zm::monitor_socket events(context, socket, opts.events);
  zm::event_counter counted;
  zmqsec::cli::metrics_endpoint metrics(this_tool, opts.metrics);
  metrics.add(counted, "zmq-monitor");
  if (authenticator) metrics.add(*authenticator);
  metrics.announce();
  printer out(std::cout, opts.json);
  try {
    if (opts.bind) {
      socket.bind(opts.endpoint);
      std::cerr << "zmq-monitor: listening on " << socket.get(zmq::sockopt::last_endpoint)
                << std::endl;
    } else {
      socket.connect(opts.endpoint);
    }
  } catch (const zmq::error_t& e) {
    // A failed bind also shows as BIND_FAILED: print what the monitor saw first.
    while (auto e2 = events.receive(std::chrono::milliseconds(0))) {
      out.print(*e2, std::chrono::system_clock::now(), std::nullopt);
    }
    std::cout.flush();
    report_error(opts.endpoint + ": " + e.what());
    return exit_bad_input;
  }

  std::uint64_t printed = 0;
  return zmqsec::cli::poll_until_stopped(
      this_tool, stop_fd, events.socket().handle(), -1, [&]() -> std::optional<int> {
        while (auto e = events.receive(std::chrono::milliseconds(0))) {
          counted.count(*e);
          out.print(*e, std::chrono::system_clock::now(), correlator.explain(*e, scope));
          if (opts.count != 0 && ++printed == opts.count) return exit_success;
        }
        if (!events.stopped()) return std::nullopt;
        report_error("the monitor stopped");
        return exit_failure;
      });
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  return zmqsec::cli::run_until_stopped(this_tool, [&](int stop_fd) { return run(opts, stop_fd); });
}
