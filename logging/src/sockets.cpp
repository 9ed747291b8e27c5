#include "sockets.hpp"

#include <sched.h>

#include <zmqsec/core/endpoint.hpp>
#include <zmqsec/core/low_priority.hpp>
#include <zmqsec/core/zmq_error.hpp>

namespace zmqsec::logging::detail {

zmqsec::error socket_error(std::string_view component, const zmq::error_t& e,
                           const std::string& what) {
  return core::zmq_error(e.num(), std::string(component) + ": " + what);
}

std::vector<std::string> bind_and_connect(zmq::socket_t& socket, std::string_view component,
                                          const std::vector<std::string>& bind,
                                          const std::vector<std::string>& connect) {
  // Every endpoint is checked before the first bind: libzmq would wrap a port past 65535, and a
  // bad one must not leave the socket half set up.
  for (const auto* list : {&bind, &connect}) {
    for (const auto& endpoint : *list) {
      try {
        core::check_endpoint(endpoint);
      } catch (const zmqsec::error& e) {
        throw zmqsec::error(e.code(), std::string(component) + ": " + e.what());
      }
    }
  }
  std::vector<std::string> bound;
  for (const auto& endpoint : bind) {
    try {
      socket.bind(endpoint);
      bound.push_back(socket.get(zmq::sockopt::last_endpoint));
    } catch (const zmq::error_t& e) {
      throw socket_error(component, e, "cannot bind " + endpoint);
    }
  }
  for (const auto& endpoint : connect) {
    try {
      socket.connect(endpoint);
    } catch (const zmq::error_t& e) {
      throw socket_error(component, e, "cannot connect to " + endpoint);
    }
  }
  return bound;
}

zmq::context_t& given_or_own_context(zmq::context_t* given, std::unique_ptr<zmq::context_t>& own,
                                     io_thread_class io_class) {
  if (given != nullptr) return *given;
  own = std::make_unique<zmq::context_t>(1);
  // Before the first socket: libzmq starts the I/O thread then, with the policy set by now.
  if (io_class == io_thread_class::batch && core::batch_scheduling_allowed()) {
    (void)zmq_ctx_set(own->handle(), ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH);
  }
  return *own;
}

}  // namespace zmqsec::logging::detail
