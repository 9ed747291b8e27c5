// zmq-monitor: open a socket the way an application would and print every monitor event it
// reports, with a timestamp: the tool an operator runs to see why a client is refused.
//
//   zmq-monitor --connect tcp://10.0.0.5:5555 --curve-server-key server.key --cert me.key_secret
//   zmq-monitor --bind 'tcp://*:5555' --plain admin:secret --json
//
// One thread: it polls the monitor's reading end (a monitor_socket, not the thread variant) and
// a signalfd for SIGINT and SIGTERM, which are blocked before any thread starts. On a signal or
// after --count events it detaches the monitor in the safe order and exits 0.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <new>
#include <system_error>

#include <zmqsec/error.hpp>
#include <zmqsec/monitor/auth_correlation.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

#include "common/stop_signals.hpp"
#include "zmq_monitor/options.hpp"
#include "zmq_monitor/printer.hpp"
#include "zmq_monitor/socket_setup.hpp"

namespace {

using namespace zmqsec::monitor_tool;
namespace zm = zmqsec::monitor;

int run(const options& opts, int stop_fd) {
  zmq::context_t context;
  zm::auth_correlator correlator;
  zmq::socket_t socket(context, socket_type_of(opts.type));
  socket.set(zmq::sockopt::linger, 0);
  if (opts.type == "sub") socket.set(zmq::sockopt::subscribe, "");
  const auto authenticator = configure_credentials(context, socket, opts, correlator);
  const auto scope = zm::scope_of(socket);

  // Attached before the bind or connect, so that LISTENING or CONNECTED is seen.
  zm::monitor_socket events(context, socket, opts.events);
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
    printer out(std::cout, opts.json);
    while (auto e2 = events.receive(std::chrono::milliseconds(0))) {
      out.print(*e2, std::chrono::system_clock::now(), std::nullopt);
    }
    std::cout.flush();
    report_error(opts.endpoint + ": " + e.what());
    return exit_bad_input;
  }

  printer out(std::cout, opts.json);
  std::uint64_t printed = 0;
  zmq_pollitem_t items[2] = {{events.socket().handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, stop_fd, ZMQ_POLLIN, 0}};
  for (;;) {
    while (auto e = events.receive(std::chrono::milliseconds(0))) {
      out.print(*e, std::chrono::system_clock::now(), correlator.explain(*e, scope));
      if (opts.count != 0 && ++printed == opts.count) {
        std::cout.flush();
        return exit_success;
      }
    }
    if (!std::cout.flush()) {
      report_error("cannot write to standard output");
      return exit_failure;
    }
    if (events.stopped()) {
      report_error("the monitor stopped");
      return exit_failure;
    }
    if (zmq_poll(items, 2, -1) < 0 && zmq_errno() != EINTR) {
      report_error(std::string("poll failed: ") + zmq_strerror(zmq_errno()));
      return exit_failure;
    }
    if ((items[1].revents & ZMQ_POLLIN) != 0) return exit_success;
  }
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  const int stop_fd = zmqsec::cli::block_stop_signals();
  if (stop_fd < 0) {
    report_error(std::string("cannot watch for signals: ") + std::strerror(errno));
    return exit_failure;
  }
  try {
    const int status = run(opts, stop_fd);
    ::close(stop_fd);
    return status;
  } catch (const zmqsec::error& e) {
    report_error(e.what());
    return exit_bad_input;
  } catch (const zmq::error_t& e) {
    report_error(e.what());
    return exit_failure;
  } catch (const std::bad_alloc&) {
    report_error("out of memory");
    return exit_failure;
  }
}
