// What the proxy tests share: an open side bound on loopback, and a bounded wait for a message.
#pragma once

#include <chrono>

#include <zmq.hpp>
#include <zmqsec/proxy/device.hpp>

namespace zmqsec::testing::proxy {

/// A side with no security, bound on an ephemeral port of 127.0.0.1.
inline zmqsec::proxy::side_config open_on_loopback() {
  return {.bind = {"tcp://127.0.0.1:*"}, .security = zmqsec::proxy::side_security::open()};
}

/// Whether socket has a message to read within timeout.
inline bool readable(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, timeout) > 0;
}

}  // namespace zmqsec::testing::proxy
