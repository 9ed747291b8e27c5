// Binds a test's socket on loopback at a port the system picks, and says where: the one-line
// form of "bind tcp://127.0.0.1:*, read ZMQ_LAST_ENDPOINT" (cppzmq's tests/testutil.hpp has the
// same helper, bind_ip4_loopback).
//
//   zmq::socket_t server(ctx, zmq::socket_type::rep);
//   client.connect(zmqsec::testing::bind_loopback(server));
#pragma once

#include <string>

#include <zmq.hpp>

namespace zmqsec::testing {

/// Binds socket at tcp://127.0.0.1:<ephemeral port> and returns the real endpoint
/// ("tcp://127.0.0.1:40213"). Throws zmq::error_t if it cannot bind.
inline std::string bind_loopback(zmq::socket_ref socket) {
  socket.bind("tcp://127.0.0.1:*");
  return socket.get(zmq::sockopt::last_endpoint);
}

}  // namespace zmqsec::testing
