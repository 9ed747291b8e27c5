#include "curve.hpp"

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::logtail {
namespace {

// A 40-character argument is a Z85 key; anything else names a certificate file.
certs::public_key server_key(const std::string& text) {
  if (text.size() == certs::z85_key_size) return certs::public_key::from_z85(text);
  return certs::load_certificate(text).public_key;
}

}  // namespace

void configure_curve(zmq::socket_t& socket, const options& opts) {
  if (opts.curve_server_key.empty()) return;
  const certs::public_key server = server_key(opts.curve_server_key);
  certs::keypair own;
  if (opts.curve_cert.empty()) {
    own = certs::generate_keypair();
  } else {
    auto cert = certs::load_certificate(opts.curve_cert);
    if (!cert.secret_key) {
      throw zmqsec::error(errc::invalid_certificate,
                          opts.curve_cert + ": holds no secret key (give the .key_secret file)");
    }
    own.public_key = cert.public_key;
    own.secret_key = std::move(*cert.secret_key);
  }
  socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), certs::key_size));
  socket.set(zmq::sockopt::curve_publickey,
             zmq::const_buffer(own.public_key.data(), certs::key_size));
  const auto secret = own.secret_key.bytes();
  socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
}

}  // namespace zmqsec::logtail
