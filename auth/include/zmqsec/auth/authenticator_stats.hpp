// What an authenticator (thread_authenticator, loop_authenticator) has done since it was
// constructed. Each counter is read on its own, without a lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
  std::uint64_t throttled = 0;    ///< requests refused for throttling (400 "throttled", in refused)
  std::uint64_t revocations = 0;  ///< accepted sessions a later change refused (session_guard)
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
    &authenticator_stats::throttled,
    &authenticator_stats::revocations,
};
static_assert(sizeof(authenticator_stats) == authenticator_counters.size() * sizeof(std::uint64_t),
              "every field of authenticator_stats is listed in authenticator_counters");

/// The decisions of authenticator_stats in detail, for an exporter to label (zmqsec::metrics):
/// by domain, status and mechanism, with how long each took. Read with
/// authenticator::decision_stats(); like authenticator_stats, each counter is read on its own.
struct authenticator_decision_stats {
  /// Rows of decisions: the statuses 200, 300, 400, 500, in that order.
  static constexpr std::size_t status_count = 4;
  /// Columns: auth::mechanism's values in order (null, plain, curve, gssapi, unknown).
  static constexpr std::size_t mechanism_count = 5;
  /// Domains counted under their own name: the first ones the handler sees. A ZAP domain is set
  /// by the server socket (ZMQ_ZAP_DOMAIN), not by the peer, so a program has few; any domain
  /// after these is counted in the row other_domain, which keeps an exporter's labels bounded.
  static constexpr std::size_t named_domains = 8;
  static constexpr std::size_t other_domain = named_domains;
  /// Upper bounds of the decision time buckets, in seconds (one more bucket: +Inf). A decision
  /// without a callback takes microseconds; a callback or a slow store shows in the upper ones.
  static constexpr std::array<double, 12> latency_bounds = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
                                                            1e-4, 2.5e-4, 1e-3, 1e-2, 0.1,    1.0};

  using by_mechanism = std::array<std::uint64_t, mechanism_count>;
  using by_status = std::array<by_mechanism, status_count>;

  /// The names of the first domains.size() rows of decisions.
  std::vector<std::string> domains;
  /// Answered requests: decisions[domain row][status][mechanism].
  std::array<by_status, named_domains + 1> decisions{};
  /// Requests decided at once (not deferred), by the time decide() took; not cumulative: bucket
  /// i counts times in (latency_bounds[i-1], latency_bounds[i]], the last one those above all.
  std::array<std::uint64_t, latency_bounds.size() + 1> latency_buckets{};
  std::uint64_t latency_sum_ns = 0;  ///< the total of those times, in nanoseconds
  std::uint64_t malformed = 0;       ///< requests that broke RFC 27 (answered 400)
};

}  // namespace zmqsec::auth
