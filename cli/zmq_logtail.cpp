// zmq-logtail: print the records of ZeroMQ log streams (zmqsec's pub_sink, pyzmq's PUBHandler)
// as they arrive.
//
//   zmq-logtail tcp://10.0.0.5:5556 --topic myapp.ERROR
//   zmq-logtail --bind 'tcp://*:5557' --json
//
// SIGINT and SIGTERM end the loop between records (cli/common/tool.hpp): the program exits 0
// with its output flushed.
#include <iostream>

#include <zmqsec/logging/subscriber.hpp>

#include "common/metrics.hpp"
#include "common/tool.hpp"
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

  zmqsec::cli::metrics_endpoint metrics(this_tool, opts.metrics);
  metrics.add(sub, "zmq-logtail");

  printer out(std::cout, opts.json, use_color(opts.color));
  std::uint64_t printed = 0;
  return zmqsec::cli::poll_until_stopped(
      this_tool, stop_fd, sub.socket().handle(), -1, [&]() -> std::optional<int> {
        while (auto r = sub.receive(std::chrono::milliseconds(0))) {
          out.print(*r);
          if (opts.count != 0 && ++printed == opts.count) return exit_success;
        }
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
