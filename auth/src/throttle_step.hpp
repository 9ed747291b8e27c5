// The throttling step of a decision (throttle.hpp): the state one ZAP server keeps, asked before
// a well-formed request is decided (is its address blocked?) and told how it ended (a refused or
// accepted credential). decide() and complete_deferred() take it beside the store snapshots;
// the server owns it, so it outlives every policy. One thread. Private to zmqsec::auth.
//
//   throttle_state throttle;
//   throttle.reconfigure(policy.throttle());   // when the policy in force changes
//   detail::decide(policy, body, reply, deferral, snapshots, &throttle);
//   counters.add(&authenticator_stats::throttled, throttle.take_refusals());
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/throttle.hpp>
#include <zmqsec/auth/zap.hpp>

#include "throttle_table.hpp"

namespace zmqsec::auth::detail {

/// The reason of a refusal for throttling.
inline constexpr std::string_view throttled_reason = "throttled";

class throttle_state {
 public:
  throttle_state() : table_(throttle_off()) {}

  /// The settings of the policy in force; what the addresses did is kept. Settings the table
  /// refuses (a policy checks them, so only out of memory) keep the ones before.
  void reconfigure(const throttle_config& config) noexcept;

  /// Whether request must be refused now with throttled_reason (counted as a refusal).
  bool refuses(const zap_request& request) noexcept;

  /// How a request that was not refused for throttling ended: status is the reply's; credential
  /// says whether the answer judged its credential (a PLAIN, CURVE or GSSAPI check, a callback or
  /// a decider), rather than its address, its form or a failure of the server.
  void settle(const zap_request& request, zap_status status, bool credential) noexcept;

  /// Refusals for throttling since the last call.
  std::uint64_t take_refusals() noexcept { return std::exchange(refusals_, 0); }

  const throttle_table& table() const noexcept { return table_; }

 private:
  throttle_table table_;
  std::uint64_t refusals_ = 0;
};

/// decide() with the server's throttle state (null: none, as the public overloads).
zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral, store_snapshots& snapshots,
                   throttle_state* throttle) noexcept;

/// complete_deferred() with the server's throttle state: the verdict settles the request.
zap_outcome complete_deferred(const policy& p, std::span<const std::string_view> body,
                              const deferred_verdict& verdict, zap_reply& reply,
                              throttle_state* throttle) noexcept;

/// Whether an answer to request that passed the address rules judged a credential: a PLAIN,
/// CURVE or GSSAPI request, or any request a decider answered.
bool judged_credential(const zap_request& request, bool by_decider) noexcept;

}  // namespace zmqsec::auth::detail
