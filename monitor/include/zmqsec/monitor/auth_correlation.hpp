// Why was the client refused? The authenticator's reason next to the HANDSHAKE_FAILED_AUTH event
// that libzmq reports, when both live in one process. Part of the zmqsec::monitor_auth target
// (it links zmqsec::auth; zmqsec::monitor itself does not).
//
//   zm::auth_correlator why;
//   authenticator.on_decision(why.observer());            // or call why.record(d) in yours
//   zm::monitor watch(ctx, server, [&, scope = zm::scope_of(server)](const zm::event& e) {
//     if (auto reason = why.explain(e, scope)) std::clog << e.describe() << ": "
//                                                        << reason->describe() << '\n';
//   });
//   // "HANDSHAKE_FAILED_AUTH tcp://127.0.0.1:5555: ZAP status 400 (authentication refused):
//   //  400 client key not allowed (CURVE key rGj2... from 127.0.0.1, domain "")"
//
// libzmq's event does not say which client was refused (its endpoint is the listening one on a
// server, the connected one on a client) and ZAP does not say which socket asked. So the match is
// by what both know: the status, the socket's ZAP domain and mechanism, and order: the oldest
// refusal with that status, domain and mechanism not yet matched on that side (server or client)
// within the window. libzmq answers a socket's handshakes in the order ZAP replies arrive and the
// handler replies in order, so for one socket the match is exact; two sockets of one context
// sharing domain and mechanism can swap the reasons of refusals with the same status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor {

/// The authenticator's side of a refusal (copied out of the decision; no secrets in it).
struct auth_explanation {
  std::uint32_t status = 0;
  std::string reason;  ///< the ZAP status text ("client key not allowed", ...)
  std::string domain;
  std::string address;     ///< the client's address as ZAP saw it
  std::string mechanism;   ///< "NULL", "PLAIN", "CURVE", "GSSAPI"
  std::string username;    ///< PLAIN: the user name offered
  std::string client_key;  ///< CURVE: the client's public key in Z85
  std::chrono::steady_clock::time_point decided_at;

  /// "400 address denied (PLAIN user \"bob\" from 127.0.0.1, domain \"\")", escaped.
  std::string describe() const;
};

/// Which handshake side an event belongs to: the ZAP server's or its client's.
enum class auth_side : std::uint8_t { server, client };

/// What a socket's events can be matched by (empty optionals match anything).
struct auth_scope {
  std::optional<std::string> domain;
  std::optional<std::string> mechanism;
  auth_side side = auth_side::server;
};

/// The scope of a socket, read from its options (ZMQ_ZAP_DOMAIN, ZMQ_MECHANISM, PLAIN_SERVER,
/// CURVE_SERVER): a PLAIN or CURVE server, or a NULL socket with a ZAP domain, is a server. Call
/// it on the socket's thread, after configuring the socket. On a client, only the mechanism is
/// known (the server's domain is not).
auth_scope scope_of(zmq::socket_ref socket);

struct auth_correlator_options {
  std::chrono::milliseconds window = std::chrono::seconds(30);  ///< older refusals are forgotten
  std::size_t capacity = 1024;  ///< at most this many refusals are kept (oldest dropped)
};

/// Keeps the authenticator's recent refusals and matches them to HANDSHAKE_FAILED_AUTH events.
/// Thread-safe: record() runs on the authenticator's thread, explain() on a monitor's.
class auth_correlator {
 public:
  explicit auth_correlator(auth_correlator_options options = {});

  /// Keeps d if it is a refusal (a reply with status 300, 400 or 500).
  void record(const auth::decision& d);
  /// An observer for thread_authenticator::on_decision() or policy_config::on_decision() that
  /// records into this correlator (which must outlive the authenticator's use of it).
  auth::decision_observer observer() {
    return [this](const auth::decision& d) { record(d); };
  }

  /// The refusal behind e, if e is a HANDSHAKE_FAILED_AUTH and one matches scope (see the top).
  std::optional<auth_explanation> explain(const event& e, const auth_scope& scope = {});

  /// How many refusals are kept now.
  std::size_t size() const;

 private:
  struct entry {
    auth_explanation what;
    bool claimed_by_server = false;
    bool claimed_by_client = false;
  };
  void forget_old(std::chrono::steady_clock::time_point now);

  auth_correlator_options options_;
  mutable std::mutex mutex_;
  std::deque<entry> entries_;
};

}  // namespace zmqsec::monitor
