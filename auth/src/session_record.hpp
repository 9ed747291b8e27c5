// What the authenticator remembers of a handshake it accepted, to decide later whether the
// credential is still allowed (session_registry, session_guard), and the pure check that decides
// it. Never a password: a PLAIN session keeps the stamp of its password table entry
// (password_table::stamp). Private to zmqsec::auth.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/store_snapshots.hpp>
#include <zmqsec/auth/zap.hpp>

namespace zmqsec::auth::detail {

/// The ZAP metadata property that carries a session's id to the application's messages (read
/// with zmq_msg_gets). Reserved: certificate metadata and verdicts cannot set it (zap.cpp).
inline constexpr std::string_view session_property = "X-Zmqsec-Session";

struct session_record {
  std::uint64_t id = 0;
  std::string domain;
  auth::mechanism mech = auth::mechanism::unknown;
  std::string mechanism_name;
  std::string address;  // as libzmq sent it in the ZAP request
  std::string user_id;
  std::string username;                             // PLAIN
  std::optional<password_stamp> stamp;              // PLAIN decided by a password table
  std::array<unsigned char, curve_key_size> key{};  // CURVE
  std::string z85_key;                              // CURVE, for reports
  std::string principal;                            // GSSAPI
};

/// Builds the record of an accepted request decided by p (no id yet).
session_record make_session_record(const policy& p, const zap_request& request,
                                   std::string_view user_id);

/// Why p no longer allows s (a static text), or empty if it still does. Pure: no callback, no
/// throttle, no observer. A domain with a decider keeps its sessions once the address rules
/// allow them (user code decided them and cannot be asked again); a PLAIN or CURVE callback
/// keeps the sessions of its mechanism the same way.
std::string_view revocation_reason(const policy& p, const session_record& s,
                                   store_snapshots& snapshots) noexcept;

}  // namespace zmqsec::auth::detail
