#include <zmqsec/proxy/security.hpp>

#include <zmq.h>

#include <string>
#include <utility>

#include <zmqsec/auth/server_socket.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::proxy {
namespace {

void set_bytes(zmq::socket_ref socket, int option, const void* data, std::size_t size,
               const char* name) {
  if (zmq_setsockopt(socket.handle(), option, data, size) != 0) {
    core::throw_zmq_error(std::string("cannot set ") + name);
  }
}

std::shared_ptr<const certs::secret_key> secret_of(const certs::certificate& cert,
                                                   const char* role) {
  if (!cert.secret_key) {
    throw zmqsec::error(errc::invalid_argument,
                        std::string("a CURVE ") + role +
                            " needs a secret certificate (NAME.key_secret); this one holds only "
                            "the public key " +
                            cert.public_key.z85());
  }
  return std::make_shared<const certs::secret_key>(cert.secret_key->clone());
}

}  // namespace

side_security side_security::open() {
  side_security s;
  s.kind_ = mechanism::open;
  return s;
}

side_security side_security::null_client() {
  side_security s;
  s.kind_ = mechanism::null_client;
  return s;
}

side_security side_security::null_server(std::string zap_domain) {
  if (zap_domain.empty()) {
    throw zmqsec::error(errc::invalid_argument,
                        "a NULL server needs a ZAP domain: libzmq asks ZAP about NULL peers only "
                        "when the socket has one");
  }
  side_security s;
  s.kind_ = mechanism::null_server;
  s.domain_ = std::move(zap_domain);
  return s;
}

side_security side_security::plain_client(std::string username, core::secret_string password) {
  side_security s;
  s.kind_ = mechanism::plain_client;
  s.username_ = std::move(username);
  s.password_ = std::make_shared<const core::secret_string>(std::move(password));
  return s;
}

side_security side_security::plain_server(std::string zap_domain) {
  side_security s;
  s.kind_ = mechanism::plain_server;
  s.domain_ = std::move(zap_domain);
  return s;
}

side_security side_security::curve_client(const certs::public_key& server_key,
                                          const certs::certificate& own) {
  side_security s;
  s.kind_ = mechanism::curve_client;
  s.secret_ = secret_of(own, "client");
  s.public_key_ = own.public_key;
  s.server_key_ = server_key;
  return s;
}

side_security side_security::curve_server(const certs::certificate& server,
                                          std::string zap_domain) {
  side_security s;
  s.kind_ = mechanism::curve_server;
  s.secret_ = secret_of(server, "server");
  s.public_key_ = server.public_key;
  s.domain_ = std::move(zap_domain);
  return s;
}

bool side_security::is_server() const noexcept {
  return kind_ == mechanism::null_server || kind_ == mechanism::plain_server ||
         kind_ == mechanism::curve_server;
}

void side_security::apply(zmq::socket_ref socket) const {
  switch (kind_) {
    case mechanism::unset:
      throw zmqsec::error(errc::invalid_argument,
                          "a proxy side has no security chosen (side_security::open() admits "
                          "anyone, and must be asked for)");
    case mechanism::open:
    case mechanism::null_client:
      return;
    case mechanism::null_server:
      return auth::make_null_server(socket, domain_);
    case mechanism::plain_server:
      return auth::make_plain_server(socket, domain_);
    case mechanism::curve_server:
      return auth::make_curve_server(socket, *secret_, domain_);
    case mechanism::plain_client:
      set_bytes(socket, ZMQ_PLAIN_USERNAME, username_.data(), username_.size(),
                "ZMQ_PLAIN_USERNAME");
      set_bytes(socket, ZMQ_PLAIN_PASSWORD, password_->data(), password_->size(),
                "ZMQ_PLAIN_PASSWORD");
      return;
    case mechanism::curve_client: {
      set_bytes(socket, ZMQ_CURVE_SERVERKEY, server_key_.data(), certs::key_size,
                "ZMQ_CURVE_SERVERKEY");
      set_bytes(socket, ZMQ_CURVE_PUBLICKEY, public_key_.data(), certs::key_size,
                "ZMQ_CURVE_PUBLICKEY");
      const auto secret = secret_->bytes();
      set_bytes(socket, ZMQ_CURVE_SECRETKEY, secret.data(), secret.size(), "ZMQ_CURVE_SECRETKEY");
      return;
    }
  }
  throw zmqsec::error(errc::invalid_argument, "a proxy side has an unknown security mechanism");
}

}  // namespace zmqsec::proxy
