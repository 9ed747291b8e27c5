#include <zmqsec/logging/proxy.hpp>

#include <zmq.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>

#include <zmqsec/error.hpp>

#include "sockets.hpp"

namespace zmqsec::logging {
namespace {

constexpr std::string_view component = "proxy";

std::string control_endpoint() {
  static std::atomic<std::uint64_t> next{0};
  return "inproc://zmqsec-logging-proxy-" + std::to_string(::getpid()) + "-" +
         std::to_string(next.fetch_add(1));
}

}  // namespace

proxy::proxy(proxy_config config) {
  zmq::context_t* context = &detail::given_or_own_context(config.context, own_context_);
  try {
    frontend_ = zmq::socket_t(*context, zmq::socket_type::xsub);
    backend_ = zmq::socket_t(*context, zmq::socket_type::xpub);
    control_ = zmq::socket_t(*context, zmq::socket_type::pair);
    control_sender_ = zmq::socket_t(*context, zmq::socket_type::pair);
    for (auto* socket : {&frontend_, &backend_, &control_, &control_sender_}) {
      socket->set(zmq::sockopt::linger, 0);
    }
    frontend_.set(zmq::sockopt::rcvhwm, config.hwm);
    frontend_.set(zmq::sockopt::sndhwm, config.hwm);
    backend_.set(zmq::sockopt::rcvhwm, config.hwm);
    backend_.set(zmq::sockopt::sndhwm, config.hwm);
    backend_.set(zmq::sockopt::xpub_verbose, true);
    const std::string control = control_endpoint();
    control_.bind(control);
    control_sender_.connect(control);
  } catch (const zmq::error_t& e) {
    throw detail::socket_error(component, e, "cannot make its sockets");
  }
  if (config.configure) config.configure(frontend_, backend_);
  frontend_bound_ = detail::bind_and_connect(frontend_, component, config.frontend);
  backend_bound_ = detail::bind_and_connect(backend_, component, config.backend);
  // From here the sockets belong to the proxy thread until it is joined. zmq_proxy_steerable
  // cannot poll the worker's stop fd: TERMINATE on the control pipe is what ends it.
  thread_.start("zmqsec-logproxy", [this](const core::stop_view&) {
    zmq_proxy_steerable(frontend_.handle(), backend_.handle(), nullptr, control_.handle());
  });
}

proxy::~proxy() {
  static constexpr char terminate[] = "TERMINATE";
  while (zmq_send(control_sender_.handle(), terminate, sizeof terminate - 1, 0) < 0 &&
         zmq_errno() == EINTR) {
  }
  thread_.stop();
}

}  // namespace zmqsec::logging
