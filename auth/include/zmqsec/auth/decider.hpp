// Decisions the built-in rules cannot say: a synchronous PLAIN callback, how each domain treats
// NULL clients, and a decider that sees every request of a domain.
//
//   config.configure_null("public", {.user_id = "anonymous", .metadata = {{"Hello", "World"}}});
//   config.refuse_null("api");                          // NULL clients of "api" get 400
//   config.configure_plain_callback("api", [&](auto domain, auto user, auto password) {
//     return directory.check(user, password);           // on the handler's thread: be quick
//   });
//   config.configure_decider("ops", [&](const za::decider_request& r) -> std::optional<za::verdict>
//   {
//     if (r.mechanism == za::mechanism::curve && on_call.contains(r.z85_key))
//       return za::verdict::accept("oncall", {{"Role", "ops"}});
//     if (outside_office_hours()) return za::verdict::retry_later("office closed");
//     return std::nullopt;                              // the built-in rules decide
//   });
//
// Order of the decision: the address rules first (a denied address is refused whatever a
// decider would say), then the domain's decider if it has one, then the built-in rule of the
// request's mechanism. A decider, NULL rule and PLAIN callback of a domain that lacks its own
// come from "*", as every other mechanism configuration does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/auth/deferred.hpp>
#include <zmqsec/auth/zap.hpp>

namespace zmqsec::auth {

/// ZAP metadata properties for a reply: (name, value) pairs.
using metadata_list = std::vector<std::pair<std::string, std::string>>;

/// How a domain treats NULL clients (libzmq asks ZAP about NULL only for sockets with a ZAP
/// domain; see make_null_server).
struct null_access {
  bool allowed = true;
  std::string user_id;     ///< the User-Id of an admitted NULL client (empty: none)
  metadata_list metadata;  ///< properties the server reads with zmq_msg_gets
};

/// Decides a PLAIN user on the handler's thread: domain, user name, password (views valid
/// during the call). true admits (User-Id = the user name); an exception gives 500.
using plain_callback = std::function<bool(std::string_view domain, std::string_view username,
                                          std::string_view password)>;

/// What a decider sees of one request (views valid during the call only).
struct decider_request {
  std::string_view domain;
  std::string_view address;     ///< the peer's IP address (or what libzmq sent for ipc)
  std::string_view routing_id;  ///< the peer's routing id, when the socket has one
  mechanism mech = mechanism::unknown;
  std::string_view mechanism_name;
  std::string_view username;           ///< PLAIN
  std::string_view password;           ///< PLAIN: do not keep it beyond the call
  std::string_view z85_key;            ///< CURVE: the client's public key, 40 characters
  std::span<const unsigned char> key;  ///< CURVE: the same, 32 bytes raw
  std::string_view principal;          ///< GSSAPI
};

/// Decides a request: a verdict (200, 300, 400 or 500 with reason, User-Id and metadata), or
/// nullopt to leave it to the built-in rules. An exception gives 500.
using decider = std::function<std::optional<deferred_verdict>(const decider_request&)>;

/// The same, answering later through a completion (loop_authenticator only; see deferred.hpp).
using deferred_decider = std::function<void(const decider_request&, zap_completion done)>;

}  // namespace zmqsec::auth
