// CURVE client keys for zmq-logtail's socket.
#pragma once

#include <zmq.hpp>

#include "options.hpp"

namespace zmqsec::logtail {

/// Makes socket a CURVE client of the publisher named by opts.curve_server_key, with the keys of
/// opts.curve_cert or a fresh keypair. Nothing without a server key. Throws zmqsec::error for a
/// key or certificate that cannot be used.
void configure_curve(zmq::socket_t& socket, const options& opts);

}  // namespace zmqsec::logtail
