#include "socket_setup.hpp"

#include <map>

#include <zmqsec/auth/server_socket.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::monitor_tool {
namespace {

// The ZAP domain of the tool's own servers (--bind with --plain or --cert).
constexpr std::string_view monitor_zap_domain = "zmq-monitor";

// A 40-character argument is a Z85 key; anything else names a certificate file.
certs::public_key server_key(const std::string& text) {
  if (text.size() == certs::z85_key_size) return certs::public_key::from_z85(text);
  return certs::load_certificate(text).public_key;
}

certs::keypair secret_certificate(const std::string& file) {
  auto cert = certs::load_certificate(file);
  if (!cert.secret_key) {
    throw zmqsec::error(errc::invalid_certificate,
                        file + ": holds no secret key (give the .key_secret file)");
  }
  certs::keypair keys;
  keys.public_key = cert.public_key;
  keys.secret_key = std::move(*cert.secret_key);
  return keys;
}

void set_secret(zmq::socket_t& socket, const certs::keypair& keys) {
  socket.set(zmq::sockopt::curve_publickey,
             zmq::const_buffer(keys.public_key.data(), certs::key_size));
  const auto secret = keys.secret_key.bytes();
  socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
}

}  // namespace

zmq::socket_type socket_type_of(const std::string& name) {
  static const std::map<std::string, zmq::socket_type> types{
      {"pair", zmq::socket_type::pair},     {"pub", zmq::socket_type::pub},
      {"sub", zmq::socket_type::sub},       {"req", zmq::socket_type::req},
      {"rep", zmq::socket_type::rep},       {"dealer", zmq::socket_type::dealer},
      {"router", zmq::socket_type::router}, {"pull", zmq::socket_type::pull},
      {"push", zmq::socket_type::push},     {"xpub", zmq::socket_type::xpub},
      {"xsub", zmq::socket_type::xsub},     {"stream", zmq::socket_type::stream}};
  return types.at(name);
}

std::unique_ptr<auth::thread_authenticator> configure_credentials(
    zmq::context_t& context, zmq::socket_t& socket, const options& opts,
    monitor::auth_correlator& correlator) {
  if (!opts.plain.empty()) {
    const auto colon = opts.plain.find(':');
    const std::string user = opts.plain.substr(0, colon);
    const std::string password = opts.plain.substr(colon + 1);
    if (!opts.bind) {
      socket.set(zmq::sockopt::plain_username, user);
      socket.set(zmq::sockopt::plain_password, password);
      return nullptr;
    }
    auto authenticator = std::make_unique<auth::thread_authenticator>(context);
    authenticator->configure_plain("*", {{user, password}});
    authenticator->on_decision(correlator.observer());
    authenticator->start();
    auth::make_plain_server(socket, monitor_zap_domain);
    return authenticator;
  }
  if (opts.bind && !opts.cert.empty()) {
    // Any client key is accepted, but through an authenticator and an enforced ZAP domain, as
    // every zmqsec server: its decisions are printed, and it fails closed should it stop.
    auto authenticator = std::make_unique<auth::thread_authenticator>(context);
    authenticator->configure_curve("*", auth::curve_allow_any);
    authenticator->on_decision(correlator.observer());
    authenticator->start();
    auth::make_curve_server(socket, secret_certificate(opts.cert).secret_key, monitor_zap_domain);
    return authenticator;
  }
  if (!opts.curve_server_key.empty()) {
    const auto server = server_key(opts.curve_server_key);
    socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), certs::key_size));
    set_secret(socket,
               opts.cert.empty() ? certs::generate_keypair() : secret_certificate(opts.cert));
  }
  return nullptr;
}

}  // namespace zmqsec::monitor_tool
