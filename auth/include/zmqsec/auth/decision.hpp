// What an observer learns about each ZAP request the policy decided (or dropped): who asked,
// from where, how, and what the answer was and why. Never a password or a secret key.
//
//   config.on_decision([](const za::decision& d) {
//     if (d.status != za::zap_status::success)
//       std::clog << d.domain << ' ' << d.address << ' ' << d.mechanism << ": " << d.reason <<
//       '\n';
//   });
//
// The views are valid during the observer call only. Fields a request did not carry (or a
// malformed request did not get to) are empty. The text fields come from the network (domain,
// mechanism, user name) or the operator (metadata names): escape them before printing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include <zmqsec/auth/zap.hpp>

namespace zmqsec::auth {

/// What the transport does with a request.
enum class zap_outcome : std::uint8_t {
  reply,    ///< send the reply (after the envelope)
  drop,     ///< send nothing: the request has no usable request id
  pending,  ///< the answer comes later: a deferred callback holds a completion (see
            ///< deferred.hpp); the transport finishes it with complete_deferred()
};

/// One observed decision.
struct decision {
  zap_outcome outcome = zap_outcome::drop;
  zap_status status = zap_status::failure;  ///< meaningful when outcome == reply
  std::string_view reason;                  ///< the status text ("OK", "address denied", ...)
  bool malformed = false;                   ///< the request broke RFC 27 (see parse_zap_request)

  std::string_view request_id;
  std::string_view domain;
  std::string_view address;
  std::string_view mechanism;   ///< the mechanism name as sent (bounded, but any bytes)
  std::string_view username;    ///< PLAIN: the user name offered (never the password)
  std::string_view client_key;  ///< CURVE: the client's public key in Z85 (40 characters)
  std::string_view user_id;     ///< the reply's User-Id (empty unless status is success)

  /// Certificate metadata that could not go into the reply (see check_metadata_property): how
  /// many entries were left out, and the first one's name and problem.
  std::size_t metadata_skipped = 0;
  std::string_view first_skipped_name;
  metadata_problem first_skipped_problem = metadata_problem::none;

  /// A revocation (session_guard.hpp), not a ZAP request: a session accepted before is no longer
  /// allowed (status failure, reason why). closed_fd: the connection the guard closed, -1 when
  /// none was found (its messages are refused by check() all the same). request_id is empty.
  bool revoked = false;
  int closed_fd = -1;
};

/// Receives every decision, on the thread that decided it, one call at a time per transport.
/// Exceptions it throws are caught and counted (policy::observer_errors()). Revocations
/// (decision::revoked) come from a session_guard's thread or the thread calling its check(),
/// possibly while a decision is being observed: an observer that keeps state locks it.
using decision_observer = std::function<void(const decision&)>;

}  // namespace zmqsec::auth
