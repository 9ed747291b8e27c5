// zmq-monitor's socket: its type and credentials, and the authenticator a PLAIN server needs.
#pragma once

#include <memory>
#include <optional>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/monitor/auth_correlation.hpp>

#include "options.hpp"

namespace zmqsec::monitor_tool {

/// The socket type named by opts.type (checked by the parser).
zmq::socket_type socket_type_of(const std::string& name);

/// Sets the credentials of opts on socket (see the --help footer). For a PLAIN server it starts
/// an authenticator on context that records its refusals in correlator, and returns it (keep it
/// alive as long as the socket). Throws zmqsec::error for a key or certificate that cannot be
/// used, or an authenticator that cannot start.
std::unique_ptr<auth::thread_authenticator> configure_credentials(
    zmq::context_t& context, zmq::socket_t& socket, const options& opts,
    monitor::auth_correlator& correlator);

}  // namespace zmqsec::monitor_tool
