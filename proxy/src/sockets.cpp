#include "sockets.hpp"

#include <string>

#include <zmqsec/core/text.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::proxy::detail {
namespace {

zmqsec::error endpoint_error(const zmq::error_t& e, std::string_view role, const char* verb,
                             const std::string& endpoint) {
  return core::zmq_error(e.num(), "proxy " + std::string(role) + ": cannot " + verb + " " +
                                      core::escape_for_log(endpoint));
}

}  // namespace

pattern_types types_of(pattern p) {
  using t = zmq::socket_type;
  switch (p) {
    case pattern::router_dealer:
      return {t::router, t::dealer};
    case pattern::xsub_xpub:
      return {t::xsub, t::xpub};
    case pattern::xpub_xsub:
      return {t::xpub, t::xsub};
    case pattern::pull_push:
      return {t::pull, t::push};
    case pattern::push_pull:
      return {t::push, t::pull};
  }
  throw zmqsec::error(errc::invalid_argument, "proxy: unknown pattern");
}

zmq::socket_t make_side(zmq::context_t& context, zmq::socket_type type, const side_config& side,
                        std::string_view role) {
  if (side.bind.empty() && side.connect.empty()) {
    throw zmqsec::error(errc::invalid_argument,
                        "proxy " + std::string(role) + ": no endpoint to bind or connect");
  }
  try {
    zmq::socket_t socket(context, type);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, side.hwm);
    socket.set(zmq::sockopt::rcvhwm, side.hwm);
    side.security.apply(socket);
    return socket;
  } catch (const zmq::error_t& e) {
    throw core::zmq_error(e.num(), "proxy " + std::string(role) + ": cannot make its socket");
  } catch (const zmqsec::error& e) {
    throw zmqsec::error(e.code(), "proxy " + std::string(role) + ": " + e.what());
  }
}

std::vector<std::string> bind_and_connect(zmq::socket_t& socket, const side_config& side,
                                          std::string_view role) {
  std::vector<std::string> bound;
  for (const auto& endpoint : side.bind) {
    try {
      socket.bind(endpoint);
      bound.push_back(socket.get(zmq::sockopt::last_endpoint));
    } catch (const zmq::error_t& e) {
      throw endpoint_error(e, role, "bind", endpoint);
    }
  }
  for (const auto& endpoint : side.connect) {
    try {
      socket.connect(endpoint);
    } catch (const zmq::error_t& e) {
      throw endpoint_error(e, role, "connect to", endpoint);
    }
  }
  return bound;
}

}  // namespace zmqsec::proxy::detail
