// The ZAP handler loop of thread_authenticator: moves frames between a ROUTER socket bound at
// the ZAP endpoint and decide(). Runs on the thread that owns the socket.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/detail/configurable.hpp>
#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth::detail {

/// Where the handler finds the policy in force. The publisher stores the policy, then the
/// generation (release); the handler loads the generation for every request (acquire) and the
/// policy only when the generation changed.
struct policy_source {
  std::atomic<std::shared_ptr<const policy>> current;
  std::atomic<std::uint64_t> generation{0};
};

/// What the handler counts. Written by the handler thread only (plain load + store, no RMW),
/// read by anyone.
struct handler_counters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> temporary_failures{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> internal_errors{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> send_failures{0};
  std::atomic<std::uint64_t> deferred{0};
  std::atomic<std::uint64_t> deferred_timeouts{0};

  /// The counters as plain numbers, with the publisher's password reloads.
  authenticator_stats snapshot(const policy_publisher& publisher) const noexcept;
  /// Counts one reply of status.
  void count_reply(zap_status status) noexcept;
};

/// How the loop ended.
enum class handler_end {
  stopped,     ///< stop_fd became readable or stop_flag was set
  terminated,  ///< the context is being terminated (ETERM)
  failed,      ///< an unexpected libzmq error (errno says which)
};

/// Serves ZAP requests on socket (a bound ROUTER) until stop_fd (an eventfd) is readable, the
/// stop flag is set, or the context terminates. Each wake-up drains the socket until EAGAIN, in
/// batches: receive and decide up to a batch of requests, then send their replies.
handler_end run_zap_handler(void* socket, int stop_fd, const std::atomic<bool>& stop_flag,
                            policy_source& source, handler_counters& counters) noexcept;

}  // namespace zmqsec::auth::detail
