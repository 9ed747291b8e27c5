// curve_roundtrip: one CURVE-encrypted request and reply between a REP server and a REQ client,
// both in this process, over TCP on 127.0.0.1.
//
//   zmq-cert generate server && zmq-cert generate client
//   curve_roundtrip server.key_secret client.key_secret              # exit 0: round trip done
//   curve_roundtrip server.key_secret client.key_secret client.key   # wrong server key: exit 1
//
// A client needs only the server's *public* certificate; the optional third argument is that
// file (by default the public key inside SERVER_SECRET_CERT is used). Every blocking call has a
// timeout, so a failed handshake ends the program instead of hanging it.
//
// Exit status: 0 round trip done, 1 no round trip (e.g. the client trusts the wrong server key),
// 2 bad arguments or certificates.
//
// Note: with no ZAP handler, a CURVE server accepts every client that completes the handshake;
// the client's key encrypts the traffic but is not checked against a list of allowed clients.
// Restricting clients is what zmqsec::auth is for.

#include <zmq.hpp>

#include <exception>
#include <iostream>
#include <span>
#include <string>
#include <string_view>

#include <zmqsec/certs/certificate.hpp>

namespace zc = zmqsec::certs;

namespace {

constexpr int timeout_ms = 3000;  // how long any send or receive may wait

zc::certificate load_secret_certificate(const std::string& path) {
  zc::certificate cert = zc::load_certificate(path);
  if (!cert.secret_key) {
    throw zmqsec::error(zmqsec::errc::invalid_certificate,
                        path + ": has no secret key (pass the NAME.key_secret file)");
  }
  return cert;
}

// Keys go to libzmq as their 32 raw bytes: no Z85 copy of the secret key is made.
zmq::const_buffer key_buffer(std::span<const unsigned char, zc::key_size> bytes) {
  return zmq::buffer(bytes.data(), bytes.size());
}

void set_timeouts(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
  socket.set(zmq::sockopt::sndtimeo, timeout_ms);
  socket.set(zmq::sockopt::linger, 0);  // closing never waits for undelivered messages
}

int round_trip(const zc::certificate& server_cert, const zc::certificate& client_cert,
               const zc::public_key& trusted_server_key) {
  zmq::context_t context;

  zmq::socket_t server(context, zmq::socket_type::rep);
  set_timeouts(server);
  server.set(zmq::sockopt::curve_server, true);
  server.set(zmq::sockopt::curve_publickey, key_buffer(server_cert.public_key.bytes()));
  server.set(zmq::sockopt::curve_secretkey, key_buffer(server_cert.secret_key->bytes()));
  server.bind("tcp://127.0.0.1:*");
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
  std::cout << "server: REP bound to " << endpoint << ", public key "
            << server_cert.public_key.z85() << '\n';

  zmq::socket_t client(context, zmq::socket_type::req);
  set_timeouts(client);
  client.set(zmq::sockopt::curve_serverkey, key_buffer(trusted_server_key.bytes()));
  client.set(zmq::sockopt::curve_publickey, key_buffer(client_cert.public_key.bytes()));
  client.set(zmq::sockopt::curve_secretkey, key_buffer(client_cert.secret_key->bytes()));
  client.connect(endpoint);
  std::cout << "client: REQ connected, public key " << client_cert.public_key.z85()
            << ", trusting server key " << trusted_server_key.z85() << '\n';

  constexpr std::string_view request = "hello";
  constexpr std::string_view reply = "world";
  if (!client.send(zmq::buffer(request), zmq::send_flags::none)) {
    std::cout << "client: could not send within " << timeout_ms << " ms\n";
    return 1;
  }
  zmq::message_t message;
  if (!server.recv(message)) {
    std::cout << "server: no request within " << timeout_ms
              << " ms: the CURVE handshake did not complete (does the client trust the right "
                 "server key?)\n";
    return 1;
  }
  std::cout << "server: received \"" << message.to_string_view() << "\"\n";
  server.send(zmq::buffer(reply), zmq::send_flags::none);
  if (!client.recv(message)) {
    std::cout << "client: no reply within " << timeout_ms << " ms\n";
    return 1;
  }
  std::cout << "client: received \"" << message.to_string_view() << "\"\n";
  if (message.to_string_view() != reply) {
    std::cout << "client: unexpected reply\n";
    return 1;
  }
  std::cout << "round trip complete: request and reply travelled encrypted with CURVE\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: curve_roundtrip SERVER_SECRET_CERT CLIENT_SECRET_CERT "
                 "[SERVER_PUBLIC_CERT]\n";
    return 2;
  }
  try {
    const zc::certificate server_cert = load_secret_certificate(argv[1]);
    const zc::certificate client_cert = load_secret_certificate(argv[2]);
    const zc::public_key trusted_server_key =
        argc == 4 ? zc::load_certificate(argv[3]).public_key : server_cert.public_key;
    return round_trip(server_cert, client_cert, trusted_server_key);
  } catch (const zmqsec::error& e) {
    std::cerr << "curve_roundtrip: " << e.what() << '\n';
    return 2;
  } catch (const zmq::error_t& e) {
    std::cerr << "curve_roundtrip: ZeroMQ: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "curve_roundtrip: " << e.what() << '\n';
    return 2;
  }
}
