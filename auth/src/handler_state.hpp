// What the configuring side of an authenticator shares with its ZAP server: the policy in force
// and the counters. Both are read and written without a lock. Private to zmqsec::auth.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth::detail {

/// Where the server finds the policy in force. The publisher stores the policy, then the
/// generation (release); the server loads the generation for every request (acquire) and the
/// policy only when the generation changed.
struct policy_source {
  std::atomic<std::shared_ptr<const policy>> current;
  std::atomic<std::uint64_t> generation{0};
};

/// The counters of authenticator_stats, live. Each is read on its own (relaxed), without a lock.
///
/// Adding a counter touches two files: authenticator_stats.hpp (the field and its entry in
/// authenticator_counters) and the file where the event happens, which calls
/// add(&authenticator_stats::the_counter, n). stats() copies every listed counter.
class handler_counters {
 public:
  using counter = std::uint64_t authenticator_stats::*;

  /// For a counter one thread writes (the ZAP server's): a load and a store, no read-modify-write
  /// on the hot path.
  void add(counter c, std::uint64_t n) noexcept {
    if (n == 0) return;
    std::atomic_ref<std::uint64_t> value(values_.*c);
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  /// For a counter several threads write (password reloads: the file follower and reload()).
  void add_shared(counter c, std::uint64_t n = 1) noexcept {
    std::atomic_ref<std::uint64_t>(values_.*c).fetch_add(n, std::memory_order_relaxed);
  }

  /// Every counter as a plain number.
  authenticator_stats snapshot() const noexcept {
    authenticator_stats copy;
    for (counter c : authenticator_counters) {
      copy.*c = std::atomic_ref<std::uint64_t>(values_.*c).load(std::memory_order_relaxed);
    }
    return copy;
  }

 private:
  static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t));
  static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
  // Only ever touched through atomic_ref (snapshot() is const, hence mutable).
  mutable authenticator_stats values_;
};

}  // namespace zmqsec::auth::detail
