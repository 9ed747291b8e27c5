// pyzmq peers for the proxy and gateway tests (peers.py, run by /usr/bin/python3): a plain
// service behind the proxy and clients in front of it.
//
//   pyzmq_peer service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 10);
//   const std::string endpoint = service.endpoint();      // where it bound
//   auto r = pyzmq_peer::run_client("req", front, 10);   // process_result: "ok 10", exit 0
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace zmqsec::testing {

inline std::vector<std::string> peer_command(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ZMQSEC_PROXY_PYTHON, "-I", "-B", "-X", "utf8",
                                   ZMQSEC_PROXY_PEERS};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// A service that runs until it has answered count messages (or, for pub, for timeout).
class pyzmq_peer {
 public:
  /// With curve_secret (Z85), the service is a CURVE server with that secret key.
  static pyzmq_peer service(const std::string& kind, const std::string& endpoint, int count,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20),
                            const std::string& curve_secret = {}) {
    std::vector<std::string> args = {"service", kind, endpoint, std::to_string(count),
                                     std::to_string(timeout.count())};
    if (!curve_secret.empty()) args.push_back(curve_secret);
    return pyzmq_peer(args);
  }

  /// A client to completion: "ok COUNT" and exit 0, or "timeout" and exit 3.
  static process_result run_client(const std::string& kind, const std::string& endpoint, int count,
                                   std::chrono::milliseconds timeout,
                                   const std::vector<std::string>& curve_keys = {}) {
    std::vector<std::string> args = {"client", kind, endpoint, std::to_string(count),
                                     std::to_string(timeout.count())};
    args.insert(args.end(), curve_keys.begin(), curve_keys.end());
    return run_process(peer_command(args), timeout * 3 + std::chrono::seconds(10));
  }

  /// The endpoint it bound (or connected to), once it says so.
  std::string endpoint() {
    if (!process_->wait_for_output("\n", std::chrono::seconds(10))) {
      throw std::runtime_error("the pyzmq service did not start: " +
                               process_->error_output_so_far());
    }
    const std::string& out = process_->output_so_far();
    const auto start = out.find("bound ");
    if (start == std::string::npos) throw std::runtime_error("pyzmq service: " + out);
    return out.substr(start + 6, out.find('\n', start) - start - 6);
  }

  child_process& process() { return *process_; }

 private:
  explicit pyzmq_peer(const std::vector<std::string>& args)
      : process_(std::make_unique<child_process>(peer_command(args))) {}
  std::unique_ptr<child_process> process_;
};

}  // namespace zmqsec::testing
