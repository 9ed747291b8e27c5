// tunnelled_client: a REQ client that reaches a ZeroMQ server through an SSH gateway, for a
// server that listens only on its own loopback or behind a bastion.
//
//   tunnelled_client tcp://127.0.0.1:5555 me@gateway:22 --key ~/.ssh/id_ed25519
//                    [--known-hosts ~/.ssh/known_hosts] [--backend libssh2|openssh] [--requests N]
//
// The remote address is as the gateway sees it ("tcp://127.0.0.1:5555" is the gateway's own
// loopback). Host keys are checked strictly: a gateway whose key is not in known_hosts is refused
// and the error shows its fingerprint, to be checked and added by hand.
//
// Exit status: 0 every request answered, 1 the tunnel could not be opened or a reply did not
// come, 2 bad arguments.

#include <chrono>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <zmq.hpp>
#include <zmqsec/tunnel.hpp>

namespace zt = zmqsec::tunnel;

namespace {

struct arguments {
  std::string remote;
  std::string gateway;
  zt::options options;
  int requests = 1;
};

constexpr const char* usage =
    "usage: tunnelled_client tcp://HOST:PORT [user@]GATEWAY[:PORT] --key FILE\n"
    "                        [--known-hosts FILE] [--backend libssh2|openssh] [--requests N]\n";

bool parse(int argc, char** argv, arguments& a) {
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      (positional++ == 0 ? a.remote : a.gateway) = arg;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (arg == "--key") {
      a.options.keyfile = value;
    } else if (arg == "--known-hosts") {
      a.options.known_hosts = value;
    } else if (arg == "--backend") {
      if (value == "libssh2") {
        a.options.backend = zt::backend::libssh2;
      } else if (value == "openssh") {
        a.options.backend = zt::backend::openssh;
      } else {
        return false;
      }
    } else if (arg == "--requests") {
      a.requests = std::stoi(value);
    } else {
      return false;
    }
  }
  return positional == 2 && !a.options.keyfile.empty();
}

}  // namespace

int main(int argc, char** argv) {
  arguments a;
  try {
    if (!parse(argc, argv, a)) {
      std::cerr << usage;
      return 2;
    }
  } catch (const std::exception&) {
    std::cerr << usage;
    return 2;
  }
  try {
    zmq::context_t context;
    zmq::socket_t req(context, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, 5000);
    // Connected through the gateway when this returns; the tunnel closes when t goes away.
    zt::tunnel t = zt::tunnel_connection(req, a.remote, a.gateway, a.options);
    std::cout << "tunnel: " << t.local_endpoint() << " -> " << a.remote << " via " << a.gateway
              << std::endl;
    for (int i = 1; i <= a.requests; ++i) {
      const std::string text = "request " + std::to_string(i);
      req.send(zmq::buffer(text), zmq::send_flags::none);
      zmq::message_t reply;
      if (!req.recv(reply)) {
        std::cerr << "tunnelled_client: no reply within 5 s\n";
        return 1;
      }
      std::cout << "reply: " << reply.to_string_view() << std::endl;
    }
    req.close();
    return 0;
  } catch (const zmqsec::error& e) {
    std::cerr << "tunnelled_client: " << e.what() << '\n';
    return e.code().category() == zmqsec::error_category() ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "tunnelled_client: " << e.what() << '\n';
    return 1;
  }
}
