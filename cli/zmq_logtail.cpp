// zmq-logtail: print the records of ZeroMQ log streams (zmqsec's pub_sink, pyzmq's PUBHandler)
// as they arrive.
//
//   zmq-logtail tcp://10.0.0.5:5556 --topic myapp.ERROR
//   zmq-logtail --bind 'tcp://*:5557' --json
//
// What it waits for (connecting, retrying, a failed handshake) goes to stderr from the socket's
// monitor (zmq_logtail/status.hpp), never among the records on stdout.
//
// SIGINT and SIGTERM end the loop between records (cli/common/tool.hpp): the program exits 0
// with its output flushed.
#include <iostream>
#include <optional>
#include <string_view>

#include <zmqsec/core/no_core_dumps.hpp>
#include <zmqsec/core/text.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/logging/subscriber.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

#include "common/metrics.hpp"
#include "common/tool.hpp"
#include "zmq_logtail/curve.hpp"
#include "zmq_logtail/options.hpp"
#include "zmq_logtail/printer.hpp"
#include "zmq_logtail/status.hpp"

namespace {

using namespace zmqsec::logtail;

int tail(const options& opts, int stop_fd) {
  // A CURVE secret key (libzmq keeps its own copy in the socket's options) stays out of core
  // dumps and debuggers while the tool runs (core/no_core_dumps.hpp).
  std::optional<zmqsec::core::no_core_dumps> no_dumps;
  if (!opts.curve_server_key.empty()) no_dumps.emplace();
  zmq::context_t context(1);
  zmqsec::logging::subscriber_config config;
  config.context = &context;
  // Connecting waits for the monitor below, so that every retry is seen; binding needs none.
  if (opts.bind) config.bind = opts.endpoints;
  if (!opts.topics.empty()) config.topics = opts.topics;
  config.configure = [&opts](zmq::socket_t& socket) { configure_curve(socket, opts); };
  zmqsec::logging::subscriber sub(std::move(config));
  for (const auto& endpoint : sub.bound_endpoints()) {
    std::cerr << "zmq-logtail: listening on " << endpoint << std::endl;
  }
  // Declared after sub: detached before its socket closes.
  zmqsec::monitor::monitor_socket events(context, sub.socket(), status_events());
  status_reporter status(std::cerr, !opts.bind);
  if (!opts.bind) {
    for (const auto& endpoint : opts.endpoints) {
      try {
        sub.socket().connect(endpoint);
      } catch (const zmq::error_t& e) {
        throw zmqsec::core::zmq_error(e.num(), "cannot connect to " + endpoint);
      }
      std::cerr << "zmq-logtail: connecting to " << zmqsec::core::printable(endpoint) << std::endl;
    }
  }

  zmqsec::cli::metrics_endpoint metrics(this_tool, opts.metrics);
  metrics.add(sub, "zmq-logtail");
  metrics.announce();

  printer out(std::cout, opts.json, use_color(opts.color));
  std::uint64_t printed = 0;
  return zmqsec::cli::poll_until_stopped(
      this_tool, stop_fd, {sub.socket().handle(), events.socket().handle()}, -1,
      [&]() -> std::optional<int> {
        while (auto e = events.receive(std::chrono::milliseconds(0))) status.report(*e);
        bool done = false;
        while (!done && sub.receive_each(std::chrono::milliseconds(0),
                                         [&](std::string_view topic, std::string_view payload) {
                                           out.print(topic, payload);
                                           done = opts.count != 0 && ++printed == opts.count;
                                           return !done;
                                         }) != 0) {
        }
        out.flush();  // the socket has nothing more queued: show what came
        if (done) return exit_success;
        return std::nullopt;
      });
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  return zmqsec::cli::run_until_stopped(this_tool,
                                        [&](int stop_fd) { return tail(opts, stop_fd); });
}
