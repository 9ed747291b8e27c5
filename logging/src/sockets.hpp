// The socket plumbing the sink, the subscriber and the proxy share: one error for a failed
// libzmq call, and one way to bind and connect.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/error.hpp>

namespace zmqsec::logging::detail {

/// "component: what: <libzmq's text>", with libzmq's code (core::zmq_category).
zmqsec::error socket_error(std::string_view component, const zmq::error_t& e,
                           const std::string& what);

/// How the I/O thread of a context made here is scheduled.
enum class io_thread_class {
  normal,
  /// SCHED_BATCH where the process may use it (core::batch_scheduling_allowed): for the sink,
  /// whose I/O thread is woken for nearly every record at moderate rates and would otherwise
  /// preempt the logging thread on a busy machine.
  batch,
};

/// The context a config names, or (when it names none) a context of one I/O thread made into
/// own, which the component keeps for as long as its socket.
zmq::context_t& given_or_own_context(zmq::context_t* given, std::unique_ptr<zmq::context_t>& own,
                                     io_thread_class io_class = io_thread_class::normal);

/// Binds socket to each of bind, then connects it to each of connect; returns the endpoints
/// bound (a wildcard port resolved). Throws socket_error for the first that fails.
std::vector<std::string> bind_and_connect(zmq::socket_t& socket, std::string_view component,
                                          const std::vector<std::string>& bind,
                                          const std::vector<std::string>& connect = {});

}  // namespace zmqsec::logging::detail
