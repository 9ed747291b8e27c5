// zmq-logtail: print the records of ZeroMQ log streams (zmqsec's pub_sink, pyzmq's PUBHandler)
// as they arrive.
//
//   zmq-logtail tcp://10.0.0.5:5556 --topic myapp.ERROR
//   zmq-logtail --bind 'tcp://*:5557' --json
//
// SIGINT and SIGTERM are blocked before any thread starts and read from a signalfd polled with
// the socket, so Ctrl-C ends the loop between records and the program exits 0 with its output
// flushed.
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
#include <zmqsec/logging/subscriber.hpp>

#include "common/stop_signals.hpp"
#include "zmq_logtail/curve.hpp"
#include "zmq_logtail/options.hpp"
#include "zmq_logtail/printer.hpp"

namespace {

using namespace zmqsec::logtail;

int tail(const options& opts, int stop_fd) {
  zmqsec::logging::subscriber_config config;
  (opts.bind ? config.bind : config.connect) = opts.endpoints;
  if (!opts.topics.empty()) config.topics = opts.topics;
  config.configure = [&opts](zmq::socket_t& socket) { configure_curve(socket, opts); };
  zmqsec::logging::subscriber sub(std::move(config));
  for (const auto& endpoint : sub.bound_endpoints()) {
    std::cerr << "zmq-logtail: listening on " << endpoint << std::endl;
  }

  printer out(std::cout, opts.json, use_color(opts.color));
  std::uint64_t printed = 0;
  zmq_pollitem_t items[2] = {{sub.socket().handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, stop_fd, ZMQ_POLLIN, 0}};
  for (;;) {
    while (auto r = sub.receive(std::chrono::milliseconds(0))) {
      out.print(*r);
      if (opts.count != 0 && ++printed == opts.count) {
        std::cout.flush();
        return exit_success;
      }
    }
    if (!std::cout.flush()) {
      report_error("cannot write to standard output");
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
    return tail(opts, stop_fd);
  } catch (const zmqsec::error& e) {
    report_error(e.what());
    return exit_bad_input;
  } catch (const std::bad_alloc&) {
    report_error("out of memory");
    return exit_failure;
  } catch (const std::exception& e) {
    report_error(e.what());
    return exit_failure;
  }
}
