// Throttling of failed authentication, per source address: after max_failures refusals within
// window, the address is refused for a back-off period without running the password check or
// any callback (400 "throttled"). After a block the address is on probation: one more failure
// within window of the block's end starts the next block, which lasts twice as long, up to
// max_backoff (a guesser gets one guess per block); a success resets the address, and so does a
// quiet time of max_backoff. libzmq#3883 and #2877 ask for it: an argon2id
// password entry makes every wrong guess cost the server real CPU.
//
//   za::throttle_config t;
//   t.max_failures = 5;                  // refusals that start a block ...
//   t.window = std::chrono::seconds(60); // ... when they fall within this window
//   t.exempt = {"10.0.0.0/8"};           // never throttled (rules as for allow())
//   auth.configure_throttle(t);          // or [throttle] in the policy file
//
// What counts: a 400 reply to a PLAIN, CURVE or GSSAPI request, or one a decider gave (a
// refused credential); not a refusal by the address rules (the address is refused anyway), not
// a malformed request, not 300 or 500. IPv4 peers are tracked per address, IPv6 peers per /64
// (one host usually holds a whole /64). An address that is not an IP address (an ipc peer) is
// never throttled.
//
// Memory is bounded: capacity addresses are tracked in a table of fixed size; when the slots an
// address may use are full, the one that failed least recently gives way.
//
// The configuration belongs to the policy (policy_config::configure_throttle, [throttle] in a
// policy file; a new policy_config has throttling off); the state (who failed, who is blocked)
// belongs to the authenticator's ZAP handler and survives a new policy, a replace() and a
// policy file reload: only the settings change. Refusals for throttling are counted in
// stats().throttled; the observer and the log see them with the reason "throttled".
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace zmqsec::auth {

/// The most addresses a table may track (about 48 bytes each).
inline constexpr std::size_t max_throttle_capacity = std::size_t{1} << 24;

struct throttle_config {
  unsigned max_failures = 5;                         ///< 0: throttling off
  std::chrono::milliseconds window{60'000};          ///< failures counted within this time
  std::chrono::milliseconds initial_backoff{1'000};  ///< the first block
  std::chrono::milliseconds max_backoff{300'000};    ///< blocks double up to this
  std::size_t capacity = 65'536;                     ///< addresses tracked at most
  std::vector<std::string> exempt;                   ///< address rules never throttled

  bool enabled() const noexcept { return max_failures != 0; }
  bool operator==(const throttle_config&) const = default;
};

}  // namespace zmqsec::auth
