// The device's sockets: the types a pattern gives each side, and one way to make a side (security
// first, then the high-water marks, then bind and connect) with errors that name the endpoint.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/proxy/device.hpp>

namespace zmqsec::proxy::detail {

struct pattern_types {
  zmq::socket_type front;
  zmq::socket_type back;
};

pattern_types types_of(pattern p);

/// A socket of type in context, secured by side.security, with its high-water marks and linger
/// 0. Throws zmqsec::error (invalid_argument naming role for unset security or no endpoints).
zmq::socket_t make_side(zmq::context_t& context, zmq::socket_type type, const side_config& side,
                        std::string_view role);

/// Binds socket to side.bind, then connects it to side.connect; returns the endpoints bound (a
/// wildcard port resolved). Throws zmqsec::error with libzmq's code for the first that fails.
std::vector<std::string> bind_and_connect(zmq::socket_t& socket, const side_config& side,
                                          std::string_view role);

}  // namespace zmqsec::proxy::detail
