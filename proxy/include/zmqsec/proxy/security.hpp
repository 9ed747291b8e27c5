// How one side of a proxy::device secures its connections: a CURVE or PLAIN server decided by
// the authenticator of the device's context, a CURVE or PLAIN client of a secured peer, a NULL
// server that still asks the authenticator, a NULL client, or (said out loud) no security.
//
//   namespace zp = zmqsec::proxy;
//   zp::side_security front = zp::side_security::curve_server(gateway_cert, "gateway");
//   zp::side_security back = zp::side_security::null_client();  // the unmodified service behind it
//
// The servers fail closed (auth/server_socket.hpp): while no authenticator answers in the
// device's context, every handshake is refused. There is no default: a side_config whose
// security was never chosen makes the device throw, so a side is never left open by omission.
// side_security::open() is NULL without ZAP: anyone who reaches the endpoint is admitted (a
// loopback hop, a benchmark); say so only where that is meant.
//
// Values are copyable; secret keys and passwords are shared, never copied into ordinary memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/secret_memory.hpp>

namespace zmqsec::proxy {

class side_security {
 public:
  enum class mechanism : std::uint8_t {
    unset,         ///< never chosen: the device refuses it
    open,          ///< NULL, no ZAP: admits anyone
    null_client,   ///< NULL towards a peer that decides
    null_server,   ///< NULL, every peer through ZAP under a (non-empty) domain
    plain_client,  ///< PLAIN user name and password towards a PLAIN server
    plain_server,  ///< PLAIN, every client through ZAP
    curve_client,  ///< CURVE towards a server whose public key is known
    curve_server,  ///< CURVE, every client through ZAP
  };

  /// unset: the device throws if a side keeps it.
  side_security() = default;

  static side_security open();
  static side_security null_client();
  /// Throws zmqsec::error (invalid_argument) for an empty domain (libzmq asks ZAP about NULL
  /// peers only when the socket has one).
  static side_security null_server(std::string zap_domain);
  static side_security plain_client(std::string username, core::secret_string password);
  static side_security plain_server(std::string zap_domain);
  /// own: the client's certificate with its secret key; throws zmqsec::error without one.
  static side_security curve_client(const certs::public_key& server_key,
                                    const certs::certificate& own);
  /// server: the server's certificate with its secret key; throws zmqsec::error without one.
  static side_security curve_server(const certs::certificate& server, std::string zap_domain);

  mechanism kind() const noexcept { return kind_; }
  bool is_server() const noexcept;
  const std::string& zap_domain() const noexcept { return domain_; }

  /// Sets the socket's security options (call before it binds or connects). Throws zmqsec::error
  /// for unset, or when libzmq refuses an option.
  void apply(zmq::socket_ref socket) const;

 private:
  mechanism kind_ = mechanism::unset;
  std::string domain_;                                   // servers: the ZAP domain
  std::string username_;                                 // plain_client
  std::shared_ptr<const core::secret_string> password_;  // plain_client
  certs::public_key public_key_;  // curve: own public key (client), server key below
  certs::public_key server_key_;  // curve_client
  std::shared_ptr<const certs::secret_key> secret_;  // curve: own secret key
};

}  // namespace zmqsec::proxy
