#include <zmqsec/auth/server_socket.hpp>

#include <zmq.h>

#include <string>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth {
namespace {

void set_int(zmq::socket_ref socket, int option, int value, const char* name) {
  if (zmq_setsockopt(socket.handle(), option, &value, sizeof value) != 0) {
    core::throw_zmq_error(std::string("cannot set ") + name);
  }
}

void set_domain(zmq::socket_ref socket, std::string_view zap_domain) {
  if (zmq_setsockopt(socket.handle(), ZMQ_ZAP_DOMAIN, zap_domain.data(), zap_domain.size()) != 0) {
    core::throw_zmq_error("cannot set ZMQ_ZAP_DOMAIN");
  }
}

void require_socket(zmq::socket_ref socket) {
  if (socket.handle() == nullptr) {
    throw zmqsec::error(errc::invalid_argument, "cannot prepare a server: the socket is closed");
  }
}

}  // namespace

void enforce_zap(zmq::socket_ref socket) {
  require_socket(socket);
  set_int(socket, zap_enforce_domain_option, 1, "ZMQ_ZAP_ENFORCE_DOMAIN");
  int kept = 0;
  std::size_t size = sizeof kept;
  // A libzmq built without the option refuses it (EINVAL) above; one that took it reads it back.
  if (zmq_getsockopt(socket.handle(), zap_enforce_domain_option, &kept, &size) != 0 || kept != 1) {
    throw zmqsec::error(errc::invalid_argument,
                        "this libzmq does not enforce ZAP (ZMQ_ZAP_ENFORCE_DOMAIN); refusing to "
                        "prepare a server that would admit clients while no authenticator runs");
  }
}

void make_curve_server(zmq::socket_ref socket, const certs::secret_key& server_secret,
                       std::string_view zap_domain) {
  require_socket(socket);
  enforce_zap(socket);
  set_domain(socket, zap_domain);
  set_int(socket, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
  // The key goes to libzmq as its 32 raw bytes from locked memory, never as text.
  const auto secret = server_secret.bytes();
  if (zmq_setsockopt(socket.handle(), ZMQ_CURVE_SECRETKEY, secret.data(), secret.size()) != 0) {
    core::throw_zmq_error("cannot set ZMQ_CURVE_SECRETKEY");
  }
}

void make_curve_server(zmq::socket_ref socket, const certs::certificate& server_cert,
                       std::string_view zap_domain) {
  if (!server_cert.secret_key) {
    throw zmqsec::error(errc::invalid_argument,
                        "a CURVE server needs a secret certificate (NAME.key_secret); this one "
                        "holds only the public key " +
                            server_cert.public_key.z85());
  }
  make_curve_server(socket, *server_cert.secret_key, zap_domain);
}

void make_plain_server(zmq::socket_ref socket, std::string_view zap_domain) {
  require_socket(socket);
  enforce_zap(socket);
  set_domain(socket, zap_domain);
  set_int(socket, ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
}

void make_null_server(zmq::socket_ref socket, std::string_view zap_domain) {
  require_socket(socket);
  if (zap_domain.empty()) {
    throw zmqsec::error(errc::invalid_argument,
                        "a NULL server needs a ZAP domain: libzmq asks ZAP about NULL peers only "
                        "when the socket has one");
  }
  enforce_zap(socket);
  set_domain(socket, zap_domain);
}

}  // namespace zmqsec::auth
