// What an authenticator (thread_authenticator, loop_authenticator) has done since it was
// constructed. Each counter is read on its own, without a lock.
#pragma once

#include <array>
#include <cstdint>

namespace zmqsec::auth {

struct authenticator_stats {
  std::uint64_t requests = 0;            ///< messages read from the ZAP socket
  std::uint64_t accepted = 0;            ///< replies with status 200
  std::uint64_t temporary_failures = 0;  ///< replies with status 300
  std::uint64_t refused = 0;             ///< replies with status 400 (malformed requests included)
  std::uint64_t internal_errors = 0;     ///< replies with status 500
  std::uint64_t dropped = 0;             ///< messages that got no reply (no envelope or request id)
  std::uint64_t send_failures = 0;       ///< replies libzmq did not take
  std::uint64_t password_reloads = 0;    ///< password files read again successfully
  std::uint64_t password_reload_failures = 0;  ///< ... that could not be read or parsed
  std::uint64_t deferred = 0;  ///< requests handed to a deferred callback (loop_authenticator)
  std::uint64_t deferred_timeouts = 0;  ///< ... answered 500 because no answer came in time
  std::uint64_t policy_loads = 0;       ///< policy files put in force (load_policy_file, reloads)
  std::uint64_t policy_reload_failures = 0;  ///< reloads that kept the policy in force instead
};

/// Every counter of authenticator_stats, for code that treats them alike (the authenticator
/// keeps its live counters in this shape and copies them all for stats(); an exporter can loop
/// over them). A new counter is a field above and an entry here; the static_assert below notices
/// a field without one.
inline constexpr std::array authenticator_counters = {
    &authenticator_stats::requests,
    &authenticator_stats::accepted,
    &authenticator_stats::temporary_failures,
    &authenticator_stats::refused,
    &authenticator_stats::internal_errors,
    &authenticator_stats::dropped,
    &authenticator_stats::send_failures,
    &authenticator_stats::password_reloads,
    &authenticator_stats::password_reload_failures,
    &authenticator_stats::deferred,
    &authenticator_stats::deferred_timeouts,
    &authenticator_stats::policy_loads,
    &authenticator_stats::policy_reload_failures,
};
static_assert(sizeof(authenticator_stats) == authenticator_counters.size() * sizeof(std::uint64_t),
              "every field of authenticator_stats is listed in authenticator_counters");

}  // namespace zmqsec::auth
