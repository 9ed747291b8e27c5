// Server sockets that fail closed: every handshake is refused while no authenticator answers.
//
//   za::make_curve_server(socket, server_cert, "api");  // curve_server, secret key, zap_domain,
//                                                       // and ZAP enforced
//   za::make_plain_server(socket, "api");
//   za::make_null_server(socket, "api");                // NULL, but every peer goes through ZAP
//   socket.bind("tcp://*:5555");
//
// Why: libzmq admits any CURVE client, and any NULL client of a socket with a ZAP domain, when
// no ZAP handler is bound at inproc://zeromq.zap.01 (the authenticator not yet started, stopped,
// or its thread gone with its context). ZMQ_ZAP_ENFORCE_DOMAIN (option 93) makes such a
// handshake fail instead. Debian's libzmq 4.3.4 honours the option at run time although its
// constant is only in the draft header; these calls set it and read it back, and throw rather
// than hand back a socket that would fail open on a libzmq that ignores it.
//
// Call them before bind() or connect(): libzmq applies security options to connections made
// after they are set. Errors are zmqsec::error (invalid_argument for a certificate without a
// secret key or a NULL server without a domain; libzmq's code when it refuses an option).
#pragma once

#include <string_view>

#include <zmq.hpp>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

namespace zmqsec::auth {

/// libzmq's ZMQ_ZAP_ENFORCE_DOMAIN (draft API in 4.3.4; honoured by Debian's build).
inline constexpr int zap_enforce_domain_option = 93;

/// A CURVE server with server_cert's secret key whose every client goes through ZAP under
/// zap_domain ("" is the domain pyzmq's "*" and CZMQ use).
void make_curve_server(zmq::socket_ref socket, const certs::certificate& server_cert,
                       std::string_view zap_domain);
/// The same with the secret key alone.
void make_curve_server(zmq::socket_ref socket, const certs::secret_key& server_secret,
                       std::string_view zap_domain);

/// A PLAIN server whose every client goes through ZAP under zap_domain.
void make_plain_server(zmq::socket_ref socket, std::string_view zap_domain);

/// A NULL server whose every peer goes through ZAP under zap_domain, which must not be empty:
/// libzmq asks ZAP about NULL peers only when the socket has a domain.
void make_null_server(zmq::socket_ref socket, std::string_view zap_domain);

/// Sets ZMQ_ZAP_ENFORCE_DOMAIN alone and checks that libzmq kept it; for sockets whose
/// mechanism is set up elsewhere.
void enforce_zap(zmq::socket_ref socket);

}  // namespace zmqsec::auth
